"""Scheme versions: only drafts change, a new version copies into a draft, activating retires
the position's active version, a scored version stays with its scorecards."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from performance.compute import services as compute
from performance.models import KpiScheme, Scorecard
from performance.periods import Period
from performance.schemes import services
from tests.performance.compute.factories import fig, scheme_with

P = Period.parse("2026-10")
ITEMS = [
    {
        "metric": "t_rate",
        "weight": Decimal("100"),
        "target_source": "fixed",
        "target": Decimal("0.8"),
        "cap": Decimal("120"),
    }
]


def test_create_is_a_draft_version_one(org, fake_metrics):
    scheme = services.scheme_create(
        code="rep", items=ITEMS, name="Rep", position=org.rep.position, bands={"S": "110"}
    )
    assert (scheme.version, scheme.status) == (1, KpiScheme.Status.DRAFT)
    assert scheme.items.get().target == Decimal("0.8")
    with pytest.raises(ValidationError):
        services.scheme_create(code="rep", items=ITEMS, name="Again", position=org.rep.position)


def test_only_a_draft_changes(org, fake_metrics):
    active = scheme_with([("t_rate", "100", "0.8")])
    with pytest.raises(ValidationError):
        services.scheme_update(scheme=active, items=ITEMS, name="Changed")
    assert KpiScheme.objects.get(pk=active.pk).name != "Changed"

    draft = services.scheme_new_version(scheme=active)
    assert (draft.code, draft.version, draft.status) == (active.code, 2, "draft")
    assert list(draft.items.values_list("metric", "weight")) == [("t_rate", Decimal("100.00"))]
    services.scheme_update(
        scheme=draft,
        items=[*ITEMS, {**ITEMS[0], "metric": "t_lower", "target": Decimal("0.05")}],
        name="Changed",
    )
    assert draft.items.count() == 2
    # Asking for a new version again returns the draft there is.
    assert services.scheme_new_version(scheme=active) == draft


def test_activate_retires_the_active_version(org, fake_metrics):
    v1 = scheme_with([("t_rate", "100", "0.8")])
    v2 = services.scheme_new_version(scheme=v1)

    services.scheme_activate(scheme=v2)

    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("retired", "active")
    assert v2.activated_at is not None
    with pytest.raises(ValidationError):
        services.scheme_activate(scheme=v2)  # no longer a draft


def test_a_scored_version_stays_with_its_scorecard(org, fake_metrics):
    v1 = scheme_with([("t_rate", "100", "0.8")], adjustment_limit=Decimal("10"))
    fake_metrics["t_rate"].data = {org.rep.pk: fig(30, 40), org.teammate.pk: fig(30, 40)}
    compute.scorecards_compute([org.rep, org.teammate], P)
    Scorecard.objects.filter(user=org.rep).update(status=Scorecard.Status.VP)
    v2 = services.scheme_new_version(scheme=v1)
    services.scheme_update(scheme=v2, items=[{**ITEMS[0], "target": Decimal("0.5")}])
    services.scheme_activate(scheme=v2)

    compute.scorecards_compute([org.rep, org.teammate], P)

    under_review = Scorecard.objects.get(user=org.rep)
    assert under_review.scheme == v1  # under review: kept with the version it was scored on
    assert under_review.items.get().target == Decimal("0.8")
    open_card = Scorecard.objects.get(user=org.teammate)
    assert open_card.scheme == v2  # still with the manager: rescored with the new version
    assert open_card.items.get().target == Decimal("0.5")
    # The scored version can be neither changed nor deleted.
    assert not services.scheme_can_edit(v1)
    assert not services.scheme_can_delete(v1)
    with pytest.raises(ValidationError):
        services.scheme_delete(scheme=v1)
    with pytest.raises(ProtectedError):
        v1.delete()


def test_diff_with_the_previous_version(org, fake_metrics):
    v1 = scheme_with([("t_rate", "60", "0.8"), ("t_lower", "40", "0.05")])
    v2 = services.scheme_new_version(scheme=v1)
    v2 = services.scheme_update(
        scheme=v2,
        items=[
            {**ITEMS[0], "weight": Decimal("70")},
            {**ITEMS[0], "metric": "t_count", "weight": Decimal("30"), "target": Decimal(4)},
        ],
        adjustment_limit=Decimal("5"),
        bands={"S": "115", "A": "100", "B": "85", "C": "70"},
    )

    diff = services.scheme_diff(v2)

    assert diff.previous == v1
    assert [i.metric for i in diff.added] == ["t_count"]
    assert [i.metric for i in diff.removed] == ["t_lower"]
    [(item, changes)] = diff.changed
    assert item.metric == "t_rate"
    assert [(str(label), before, after) for label, before, after in changes] == [
        ("weight", Decimal("60.00"), Decimal("70.00"))
    ]
    assert [(str(label), before, after) for label, before, after in diff.fields] == [
        ("adjustment limit (points)", Decimal("10.00"), Decimal("5")),
        ("grade bands", "S ≥ 110, A ≥ 100, B ≥ 85, C ≥ 70", "S ≥ 115, A ≥ 100, B ≥ 85, C ≥ 70"),
    ]
    assert services.scheme_diff(v1).previous is None


def test_default_schemes_are_idempotent(org):
    created = services.ensure_default_schemes()
    assert {s.code for s in created} == {"sales-rep", "regional-manager"}
    assert all(s.status == "active" for s in created)
    assert KpiScheme.objects.get(code="regional-manager").uses_team_figures
    assert services.ensure_default_schemes() == []
    assert KpiScheme.objects.count() == 2
