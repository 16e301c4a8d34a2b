import pytest


@pytest.fixture(autouse=True)
def _no_broker(request, monkeypatch):
    """Tests do not reach a broker: queued assignments are recorded instead of sent (the tests
    marked `broker` start a real worker and send for real)."""
    sent: list[int] = []
    if request.node.get_closest_marker("broker"):
        return sent

    def fake_delay(lead_id, *args, **kwargs):
        sent.append(lead_id)

    from leads import tasks

    monkeypatch.setattr(tasks.assign_lead, "delay", fake_delay)
    return sent


@pytest.fixture
def queued(_no_broker):
    return _no_broker


@pytest.fixture(autouse=True)
def _no_email_queue(monkeypatch):
    try:
        from notifications import services
    except ImportError:
        return
    monkeypatch.setattr(services, "email_queue", lambda notification_id: None)


@pytest.fixture(autouse=True)
def _one_task_per_lead(settings):
    """Deterministic queuing whatever CACHE_URL says (the coalescing test turns it on)."""
    settings.LEADS_ASSIGN_COALESCE = False
