import pytest

from tests.opportunities.factories import make_opportunity


@pytest.fixture
def deals(org):
    """One opportunity per owner that matters."""
    return {
        "mine": make_opportunity(owner=org.rep, name="Mine deal", amount="5000.00"),
        "teammate": make_opportunity(owner=org.teammate, name="Teammate deal", amount="3000.00"),
        "hangzhou": make_opportunity(owner=org.east_rep, name="Hangzhou deal"),
        "beijing": make_opportunity(owner=org.other_team_rep, name="Beijing deal"),
    }
