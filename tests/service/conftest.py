"""Fixtures of the service tests: a real SMTP server (aiosmtpd) on a free local port, and
Celery tasks run in the test process."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from crm.celery import app as celery_app


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class Handler:
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """A real SMTP server the test can stop (the mail server is down) and start again."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.handler = Handler()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def texts(self) -> list[str]:
        import email
        from email import policy

        return [
            email.message_from_bytes(m.content, policy=policy.default).get_body().get_content()
            for m in self.messages
        ]


@pytest.fixture
def smtp_server(settings):
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def tasks_inline():
    """Celery tasks run in the test process when queued (no worker, no broker)."""
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


@pytest.fixture
def only_service_section(monkeypatch):
    """The customer page with only this app's section (other apps' sections have their own
    tests, and may be mid-change while this app's are run)."""
    from customers import sections

    monkeypatch.setattr(
        sections, "_SECTIONS", {k: v for k, v in sections._SECTIONS.items() if k == "tickets"}
    )
