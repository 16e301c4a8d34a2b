"""Who reads and who changes plans: planners and admins everything, a manager their subtree
(but their own row), VP and HR read only, reps their own targets; out of reach is a 404."""

from __future__ import annotations

from decimal import Decimal

import pytest

from performance.models import SalesPlan
from tests.factories import UserFactory, client_for
from tests.performance.plans.factories import OCT, SEP, plan, row_data

pytestmark = pytest.mark.django_db

URL = "/performance/plans/"


def grid(team, month="2026-10"):
    return f"{URL}?team={team.pk}&month={month}"


def test_planner_edits_any_team(org, planner_client):
    data = {**row_data(org.east, 500000, 10, 50), **row_data(org.north, 300000, 5, 30)}
    response = planner_client.post(grid(org.company), data)
    assert response.status_code == 302
    east = SalesPlan.objects.get(team=org.east, month=OCT)
    assert east.revenue_target == Decimal("500000.00")
    assert east.updated_by == org.planner
    assert east.history.first().history_user == org.planner
    assert SalesPlan.objects.get(team=org.north, month=OCT).visit_target == 30


def test_manager_edits_their_reps_but_not_their_own_rows(org, manager_client):
    plan(org.manager, revenue="1000")
    plan(org.shanghai, revenue="200000", customers=6, visits=60)
    data = {
        **row_data(org.shanghai, 1, 1, 1),  # forged: the team they manage (their target)
        **row_data(org.rep, 120000, 3, 30),
        **row_data(org.teammate, 80000, 3, 30),
        **row_data(org.manager, 999999, 99, 99),  # forged: the manager's own row
        **row_data(org.east, 1, 1, 1),  # forged: the parent team
    }
    response = manager_client.post(grid(org.shanghai), data)
    assert response.status_code == 302
    assert SalesPlan.objects.get(user=org.rep, month=OCT).revenue_target == Decimal("120000")
    shanghai = SalesPlan.objects.get(team=org.shanghai, month=OCT)
    assert (shanghai.revenue_target, shanghai.visit_target) == (Decimal("200000"), 60)
    assert SalesPlan.objects.get(user=org.manager, month=OCT).revenue_target == Decimal("1000")
    assert not SalesPlan.objects.filter(team=org.east).exists()
    page = manager_client.get(grid(org.shanghai)).content.decode()
    assert f'name="t{org.shanghai.pk}-revenue_target"' not in page
    assert f'name="u{org.rep.pk}-revenue_target"' in page


def test_manager_cannot_set_their_teams_target_by_import_copy_or_service(org, manager_client):
    from django.core.exceptions import PermissionDenied

    from performance.plans import services
    from performance.plans.access import plan_access

    plan(org.shanghai, month=SEP, revenue="500")
    plan(org.rep, month=SEP, revenue="200")
    response = manager_client.post(f"{URL}copy/", {"team": org.shanghai.pk, "month": "2026-10"})
    assert response.status_code == 302
    assert SalesPlan.objects.filter(month=OCT, user=org.rep).exists()
    assert not SalesPlan.objects.filter(month=OCT, team=org.shanghai).exists()
    with pytest.raises(PermissionDenied):
        services.plans_save(
            month=OCT,
            changes=[
                (org.shanghai, {"revenue_target": 1, "new_customer_target": 1, "visit_target": 1})
            ],
            by=org.manager,
            access=plan_access(org.manager),
        )
    assert not SalesPlan.objects.filter(month=OCT, team=org.shanghai).exists()


def test_manager_sees_their_own_row_read_only(org, manager_client):
    plan(org.manager, revenue="1000")
    page = manager_client.get(grid(org.shanghai)).content.decode()
    assert f'name="u{org.rep.pk}-revenue_target"' in page
    assert f'name="u{org.manager.pk}-revenue_target"' not in page
    assert "1,000.00" in page


def test_manager_cannot_open_the_parent_or_a_sibling_team(org, manager_client):
    assert manager_client.get(grid(org.east)).status_code == 404
    assert manager_client.get(grid(org.hangzhou)).status_code == 404
    response = manager_client.post(grid(org.east), row_data(org.east, 1, 1, 1))
    assert response.status_code == 404
    assert not SalesPlan.objects.exists()


def test_regional_manager_edits_teams_below_but_not_the_company(org, regional_client):
    response = regional_client.post(
        grid(org.east), {**row_data(org.east, 100), **row_data(org.hangzhou, 40)}
    )
    assert response.status_code == 302
    # The region's own row is their target (set by planning); the teams below are theirs.
    assert list(SalesPlan.objects.filter(month=OCT).values_list("team", flat=True)) == [
        org.hangzhou.pk
    ]
    assert regional_client.get(grid(org.company)).status_code == 404
    assert regional_client.get(grid(org.hangzhou)).status_code == 200


def test_other_teams_manager_gets_404_and_changes_nothing(org):
    beijing_manager = UserFactory(
        username="bj_manager", team=org.beijing, position="regional_manager"
    )
    org.beijing.manager = beijing_manager
    org.beijing.save()
    plan(org.shanghai, revenue="100")
    plan(org.shanghai, month=SEP, revenue="100")
    client = client_for(beijing_manager)
    assert client.get(grid(org.beijing)).status_code == 200
    assert client.get(grid(org.shanghai)).status_code == 404
    assert client.post(grid(org.shanghai), row_data(org.shanghai, 5)).status_code == 404
    copy = client.post(f"{URL}copy/", {"team": org.shanghai.pk, "month": "2026-10"})
    assert copy.status_code == 404
    export = client.get(f"{URL}export/?team={org.shanghai.pk}&month=2026-10")
    assert export.status_code == 404
    assert SalesPlan.objects.get(team=org.shanghai, month=OCT).revenue_target == Decimal("100")
    assert SalesPlan.objects.count() == 2


@pytest.mark.parametrize("who", ["hr", "vp"])
def test_hr_and_vp_read_every_team_but_change_nothing(org, who):
    plan(org.beijing, revenue="4321")
    client = client_for(getattr(org, who))
    page = client.get(grid(org.north))
    assert page.status_code == 200
    assert "4,321.00" in page.content.decode()
    assert '-revenue_target"' not in page.content.decode()  # no input at all
    assert "Save plans" not in page.content.decode()
    assert client.post(grid(org.north), row_data(org.beijing, 1)).status_code == 403
    copy = client.post(f"{URL}copy/", {"team": org.north.pk, "month": "2026-10"})
    assert copy.status_code == 403
    assert SalesPlan.objects.get().revenue_target == Decimal("4321")


def test_rep_reads_only_their_own_targets(org, rep_client):
    plan(org.rep, revenue="123456", customers=4, visits=25)
    plan(org.teammate, revenue="777777")
    plan(org.shanghai, revenue="900000")
    response = rep_client.get(f"{URL}?month=2026-10")
    page = response.content.decode()
    assert response.status_code == 200
    assert "123,456.00" in page
    assert "777,777.00" not in page
    assert "900,000.00" not in page
    # Asking for a team shows nothing more; posting or copying changes nothing.
    assert "777,777.00" not in rep_client.get(grid(org.shanghai)).content.decode()
    assert rep_client.post(grid(org.shanghai), row_data(org.rep, 1)).status_code == 403
    copy = rep_client.post(f"{URL}copy/", {"team": org.shanghai.pk, "month": "2026-10"})
    assert copy.status_code == 404
    assert SalesPlan.objects.get(user=org.rep).revenue_target == Decimal("123456")


def test_anonymous_is_sent_to_login(client, org):
    response = client.get(grid(org.company))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_row_missing_from_the_post_keeps_its_plan(org, planner_client):
    """A row that was not on the page when it was loaded (a plan imported meanwhile) is not
    an emptied row: its plan stays."""
    plan(org.teammate, revenue="777")
    response = planner_client.post(grid(org.shanghai), row_data(org.rep, 100, 1, 1))
    assert response.status_code == 302
    assert SalesPlan.objects.get(user=org.teammate).revenue_target == Decimal("777")
    assert SalesPlan.objects.get(user=org.rep).revenue_target == Decimal("100")
    # Emptying a row that is on the page still removes its plan.
    response = planner_client.post(grid(org.shanghai), row_data(org.teammate))
    assert not SalesPlan.objects.filter(user=org.teammate).exists()
