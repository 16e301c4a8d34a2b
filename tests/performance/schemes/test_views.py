"""The scheme admin pages: administrators only; the form with its items formset validates
everything and saves nothing on error; versioning through the buttons."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from performance.models import KpiScheme
from performance.schemes import services
from tests.factories import client_for
from tests.performance.compute.factories import scheme_with


def form_data(position, items, **overrides) -> dict:
    data = {
        "name": "Reps 2027",
        "code": "reps-2027",
        "position": position.pk,
        "uses_team_figures": "",
        "adjustment_limit": "10",
        "note": "",
        "band_s": "110",
        "band_a": "100",
        "band_b": "85",
        "band_c": "70",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for i, item in enumerate(items):
        for key, value in item.items():
            data[f"items-{i}-{key}"] = value
    data.update(overrides)
    return data


def item(metric="t_rate", weight="60", source="fixed", target="0.8", cap="120") -> dict:
    return {
        "metric": metric,
        "weight": weight,
        "target_source": source,
        "target": target,
        "cap": cap,
    }


@pytest.fixture
def admin(org):
    return client_for(org.admin)


@pytest.mark.parametrize("name", ["list", "create"])
@pytest.mark.parametrize("persona", ["rep", "manager", "vp", "planner", "hr"])
def test_only_administrators(org, fake_metrics, name, persona):
    response = client_for(getattr(org, persona)).get(reverse(f"performance:scheme-{name}"))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("detail", "get"),
        ("edit", "get"),
        ("new-version", "post"),
        ("activate", "post"),
        ("delete", "post"),
    ],
)
def test_scheme_pages_refuse_non_administrators(org, fake_metrics, name, method):
    draft = scheme_with([("t_rate", "100", "0.8")], status="draft")
    url = reverse(f"performance:scheme-{name}", args=[draft.pk])
    assert getattr(client_for(org.manager), method)(url).status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert KpiScheme.objects.count() == 1


def test_anonymous_is_sent_to_sign_in(org):
    response = client_for(org.rep).__class__().get(reverse("performance:scheme-list"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_list_shows_versions_by_position(org, fake_metrics, admin):
    scheme_with([("t_rate", "100", "0.8")], name="Rep scheme")
    scheme_with([("t_rate", "100", "0.8")], name="Manager scheme", position="regional_manager")
    response = admin.get(reverse("performance:scheme-list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Rep scheme" in body
    assert "Manager scheme" in body
    assert "Regional manager" in body


def test_create_a_scheme_with_its_items(org, fake_metrics, admin):
    data = form_data(org.rep.position, [item(), item("t_lower", "40", target="0.05", cap="")])
    response = admin.post(reverse("performance:scheme-create"), data)
    scheme = KpiScheme.objects.get(code="reps-2027")
    assert response.status_code == 302
    assert (scheme.status, scheme.version) == ("draft", 1)
    assert scheme.bands == {"S": "110", "A": "100", "B": "85", "C": "70"}
    assert [(i.metric, i.weight, i.cap) for i in scheme.items.all()] == [
        ("t_rate", Decimal("60"), Decimal("120")),
        ("t_lower", Decimal("40"), Decimal("120")),
    ]


@pytest.mark.parametrize(
    ("items", "overrides", "error"),
    [
        ([item()], {"band_a": "115"}, "S &gt; A &gt; B &gt; C"),
        ([item(weight="0")], {}, "greater than or equal to 0.01"),
        ([item(target="")], {}, "Give the target value."),
        ([item(source="plan", target="")], {}, "no target in the sales plan"),
        ([item(), item(weight="40")], {}, "Each metric may appear once"),
        ([], {}, "at least one item"),
        ([item(metric="nope")], {}, "Select a valid choice"),
    ],
)
def test_bad_input_shows_errors_and_saves_nothing(
    org, fake_metrics, admin, items, overrides, error
):
    data = form_data(org.rep.position, items, **overrides)
    response = admin.post(reverse("performance:scheme-create"), data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not KpiScheme.objects.exists()


def test_plan_target_for_a_metric_with_a_plan_field(org, fake_metrics, admin):
    data = form_data(org.rep.position, [item("t_count", source="plan", target="")])
    assert admin.post(reverse("performance:scheme-create"), data).status_code == 302
    saved = KpiScheme.objects.get().items.get()
    assert (saved.target_source, saved.target) == ("plan", None)


def test_edit_a_draft_but_not_an_active_version(org, fake_metrics, admin):
    draft = scheme_with([("t_rate", "100", "0.8")], status="draft", code="reps-2027")
    data = form_data(org.rep.position, [item(weight="50"), item("t_lower", "50", target="0.1")])
    data.update({"items-TOTAL_FORMS": "2", "name": "Renamed"})
    response = admin.post(reverse("performance:scheme-edit", args=[draft.pk]), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.name == "Renamed"
    assert draft.code == "reps-2027"
    assert draft.items.count() == 2

    active = scheme_with([("t_rate", "100", "0.8")], name="Live")
    response = admin.post(reverse("performance:scheme-edit", args=[active.pk]), data)
    assert response.status_code == 302
    active.refresh_from_db()
    assert active.name == "Live"
    assert active.items.count() == 1


def test_new_version_activate_and_delete_buttons(org, fake_metrics, admin):
    v1 = scheme_with([("t_rate", "100", "0.8")])
    response = admin.post(reverse("performance:scheme-new-version", args=[v1.pk]))
    v2 = KpiScheme.objects.get(code=v1.code, version=2)
    assert response["Location"] == reverse("performance:scheme-detail", args=[v2.pk])
    page = admin.get(reverse("performance:scheme-detail", args=[v2.pk])).content.decode()
    assert "Changes since v1" in page
    assert "No change." in page

    admin.post(reverse("performance:scheme-activate", args=[v2.pk]))
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("retired", "active")

    admin.post(reverse("performance:scheme-delete", args=[v2.pk]))  # active: refused
    assert KpiScheme.objects.filter(pk=v2.pk).exists()
    admin.post(reverse("performance:scheme-delete", args=[v1.pk]))  # retired, unused: gone
    assert not KpiScheme.objects.filter(pk=v1.pk).exists()


def test_wrong_method(org, admin):
    assert admin.get(reverse("performance:scheme-activate", args=[1])).status_code == 405


def test_form_pages_render(org, fake_metrics, admin):
    draft = scheme_with([("t_rate", "100", "0.8")], status="draft")
    page = admin.get(reverse("performance:scheme-create"))
    assert page.status_code == 200
    assert "items-TOTAL_FORMS" in page.content.decode()
    page = admin.get(reverse("performance:scheme-edit", args=[draft.pk])).content.decode()
    assert 'value="0.8000"' in page
    assert "Test rate" in page


def test_list_query_count_is_fixed(org, fake_metrics, admin, django_assert_max_num_queries):
    for _i in range(15):
        scheme_with([("t_rate", "100", "0.8")], status="draft")
    with django_assert_max_num_queries(12):
        assert admin.get(reverse("performance:scheme-list")).status_code == 200


def test_detail_shows_the_diff(org, fake_metrics, admin):
    v1 = scheme_with([("t_rate", "60", "0.8"), ("t_lower", "40", "0.05")])
    v2 = services.scheme_new_version(scheme=v1)
    services.scheme_update(
        scheme=v2,
        items=[
            {
                "metric": "t_rate",
                "weight": Decimal("70"),
                "target_source": "fixed",
                "target": Decimal("0.8"),
                "cap": Decimal("120"),
            },
            {
                "metric": "t_count",
                "weight": Decimal("30"),
                "target_source": "plan",
                "target": None,
                "cap": Decimal("120"),
            },
        ],
    )
    page = admin.get(reverse("performance:scheme-detail", args=[v2.pk])).content.decode()
    assert "Added Test count against the plan (weight 30.00)" in page
    assert "Removed Test lower-is-better rate" in page
    assert "<del>60.00</del> → <strong>70.00</strong>" in page


def test_list_counts_items_and_scorecards(org, fake_metrics, admin):
    from tests.performance.factories import ScorecardFactory

    used = scheme_with([("t_rate", "60", "0.8"), ("t_lower", "40", "0.05")], name="Used")
    scheme_with([("t_rate", "100", "0.8")], name="Unused", status="draft")
    for user in (org.rep, org.teammate, org.east_rep):
        ScorecardFactory(user=user, scheme=used)
    schemes = {
        s.name: (s.item_count, s.scorecard_count)
        for _position, group in admin.get(reverse("performance:scheme-list")).context["groups"]
        for s in group
    }
    assert schemes == {"Used": (2, 3), "Unused": (1, 0)}
