"""The org chart: team paths stay right when teams are created and moved."""

import pytest
from django.core.exceptions import ValidationError

from crm.models import Team
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_paths_follow_the_tree(org):
    assert org.company.path == f"/{org.company.pk}/"
    assert org.shanghai.path == f"/{org.company.pk}/{org.east.pk}/{org.shanghai.pk}/"
    assert org.shanghai.depth == 3
    assert set(org.east.subtree()) == {org.east, org.shanghai, org.hangzhou}
    assert org.shanghai.ancestor_ids() == [org.company.pk, org.east.pk, org.shanghai.pk]


def test_moving_a_team_moves_everything_below_it(org):
    pudong = TeamFactory(name="Pudong", parent=org.shanghai)
    org.shanghai.parent = org.north
    org.shanghai.save()
    pudong.refresh_from_db()
    assert pudong.path == f"/{org.company.pk}/{org.north.pk}/{org.shanghai.pk}/{pudong.pk}/"
    assert set(org.north.subtree()) == {org.north, org.beijing, org.shanghai, pudong}
    assert set(org.east.subtree()) == {org.east, org.hangzhou}


def test_a_team_cannot_be_put_under_its_own_descendant(org):
    org.east.parent = org.shanghai
    with pytest.raises(ValidationError) as excinfo:
        org.east.full_clean()
    assert "parent" in excinfo.value.message_dict


def test_company_has_no_parent_and_others_need_one(org):
    with pytest.raises(ValidationError):
        Team(name="Orphan region", kind=Team.Kind.REGION).full_clean()
    with pytest.raises(ValidationError):
        Team(name="Sub company", kind=Team.Kind.COMPANY, parent=org.company).full_clean()


def test_chinese_names_read_family_name_first(org):
    org.rep.last_name, org.rep.first_name = "王", "芳"
    assert str(org.rep) == "王芳"
    org.rep.last_name, org.rep.first_name = "Chen", "Emily"
    assert str(org.rep) == "Emily Chen"


def test_a_plain_save_cannot_make_a_cycle_either(org):
    org.east.parent = org.shanghai
    with pytest.raises(ValidationError):
        org.east.save()


def test_moving_with_update_fields_keeps_the_path(org):
    org.shanghai.parent = org.north
    org.shanghai.save(update_fields=["parent"])
    org.shanghai.refresh_from_db()
    assert org.shanghai.path == f"/{org.company.pk}/{org.north.pk}/{org.shanghai.pk}/"


def test_there_is_one_company_at_the_top(org):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(name="Second company", kind=Team.Kind.COMPANY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(name="Floating team", kind=Team.Kind.TEAM)
    assert Team.objects.filter(parent__isnull=True).count() == 1
