"""The data-scope layer (crm/scopes.py) on a three-level org: who sees and who changes what."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from crm.models import Position
from crm.scopes import DataScope, can_change, get_editable_or_404, get_visible_or_404, reach_of
from tests.factories import TeamFactory, UserFactory
from tests.scopeapp.models import Record

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(org):
    """One record per rep, each filed under the rep's team, plus one in the public pool."""
    return {
        "rep": Record.objects.create(title="rep", owner=org.rep, team=org.shanghai),
        "teammate": Record.objects.create(title="teammate", owner=org.teammate, team=org.shanghai),
        "east_rep": Record.objects.create(title="east_rep", owner=org.east_rep, team=org.hangzhou),
        "other": Record.objects.create(title="other", owner=org.other_team_rep, team=org.beijing),
        "pool": Record.objects.create(title="pool", owner=None, team=org.beijing),
    }


def titles(qs) -> set[str]:
    return set(qs.values_list("title", flat=True))


ALL = {"rep", "teammate", "east_rep", "other", "pool"}


@pytest.mark.parametrize(
    ("persona", "sees", "changes"),
    [
        ("rep", {"rep", "pool"}, {"rep"}),
        ("other_team_rep", {"other", "pool"}, {"other"}),
        # The Shanghai manager: their team's rows, nothing of Hangzhou or Beijing.
        ("manager", {"rep", "teammate", "pool"}, {"rep", "teammate"}),
        # The East regional manager: both East teams (two levels down), not North.
        (
            "regional_manager",
            {"rep", "teammate", "east_rep", "pool"},
            {"rep", "teammate", "east_rep"},
        ),
        ("vp", ALL, ALL),
        ("admin", ALL, ALL),
        # Planners and HR read everything and change nothing; service reads all, changes own.
        ("planner", ALL, set()),
        ("hr", ALL, set()),
        ("service", ALL, set()),
    ],
)
def test_who_sees_and_changes_what(org, records, persona, sees, changes):
    user = getattr(org, persona)
    assert titles(Record.objects.visible_to(user)) == sees
    assert titles(Record.objects.editable_by(user)) == changes


def test_team_scope_follows_the_owner_when_the_row_is_filed_elsewhere(org):
    """A row owned by a Shanghai rep but filed under Beijing is still their manager's."""
    record = Record.objects.create(title="moved", owner=org.rep, team=org.beijing)
    assert record in Record.objects.visible_to(org.manager)
    assert record in Record.objects.visible_to(org.vp)
    assert record not in Record.objects.visible_to(org.other_team_rep)


def test_rows_of_a_team_without_owner_are_visible_to_that_team_manager_only(org):
    record = Record.objects.create(title="unowned", owner=None, team=org.shanghai)
    assert record in Record.objects.editable_by(org.manager)
    assert record not in Record.objects.editable_by(org.rep)
    assert record not in Record.objects.editable_by(org.other_team_rep)


def test_a_new_team_below_is_inside_the_regional_managers_scope_at_once(org):
    suzhou = TeamFactory(name="Suzhou", parent=org.east)
    newcomer = UserFactory(username="newcomer", team=suzhou)
    record = Record.objects.create(title="new", owner=newcomer, team=suzhou)
    assert record in Record.objects.visible_to(org.regional_manager)
    assert record not in Record.objects.visible_to(org.manager)


def test_managing_a_team_grants_its_subtree_even_to_a_rep_position(org):
    """A rep who is made manager of Hangzhou (position unchanged) reaches Hangzhou's rows."""
    org.hangzhou.manager = org.teammate
    org.hangzhou.save()
    reach = reach_of(org.teammate)
    assert reach.level == DataScope.TEAM
    assert reach.team_paths == (org.hangzhou.path,)
    east = Record.objects.create(title="east", owner=org.east_rep, team=org.hangzhou)
    assert east in Record.objects.visible_to(org.teammate)


def test_nested_roots_are_collapsed(org):
    org.hangzhou.manager = org.regional_manager
    org.hangzhou.save()
    assert reach_of(org.regional_manager).team_paths == (org.east.path,)


def test_admins_change_a_positions_scope_and_it_applies(org, records):
    Position.objects.filter(kind=Position.Kind.SALES_REP).update(view_scope=DataScope.TEAM)
    rep = type(org.rep).objects.get(pk=org.rep.pk)  # fresh object: reach is cached per instance
    assert titles(Record.objects.visible_to(rep)) == {"rep", "teammate", "pool"}
    assert titles(Record.objects.editable_by(rep)) == {"rep"}


def test_no_position_means_own_rows_only(org, records):
    loner = UserFactory(username="loner", team=org.shanghai, position=None)
    Record.objects.create(title="loner", owner=loner)
    assert titles(Record.objects.visible_to(loner)) == {"loner", "pool"}


def test_inactive_and_anonymous_users_see_nothing(org, records):
    org.rep.is_active = False
    assert titles(Record.objects.visible_to(org.rep)) == set()
    assert titles(Record.objects.visible_to(AnonymousUser())) == set()
    assert titles(Record.objects.editable_by(AnonymousUser())) == set()


def test_get_visible_or_404_hides_what_is_out_of_scope(org, records):
    assert get_visible_or_404(Record, org.rep, pk=records["rep"].pk) == records["rep"]
    with pytest.raises(Http404):
        get_visible_or_404(Record, org.rep, pk=records["other"].pk)
    with pytest.raises(Http404):  # a missing row looks exactly like a hidden one
        get_visible_or_404(Record, org.rep, pk=10**9)


def test_get_editable_or_404_is_403_for_read_only_and_404_for_hidden(org, records):
    assert get_editable_or_404(Record, org.manager, pk=records["teammate"].pk)
    with pytest.raises(PermissionDenied):
        get_editable_or_404(Record, org.hr, pk=records["rep"].pk)
    with pytest.raises(PermissionDenied):  # the pool is visible to a rep, not theirs to change
        get_editable_or_404(Record, org.rep, pk=records["pool"].pk)
    with pytest.raises(Http404):
        get_editable_or_404(Record, org.manager, pk=records["other"].pk)


def test_can_change(org, records):
    assert can_change(org.rep, records["rep"])
    assert not can_change(org.rep, records["teammate"])
    assert can_change(org.vp, records["other"])


def test_scope_is_one_query_whatever_the_org_size(org, records, django_assert_max_num_queries):
    for i in range(30):
        TeamFactory(name=f"Sub {i}", parent=org.shanghai)
    manager = type(org.manager).objects.get(pk=org.manager.pk)
    # position + managed teams + own team path, then the list itself
    with django_assert_max_num_queries(4):
        assert len(list(Record.objects.visible_to(manager))) == 3


def test_the_user_model_is_scoped_too(org):
    usernames = set(
        type(org.rep).objects.visible_to(org.manager).values_list("username", flat=True)
    )
    assert usernames == {"rep", "teammate", "manager"}
    assert set(type(org.rep).objects.visible_to(org.rep).values_list("username", flat=True)) == {
        "rep"
    }
