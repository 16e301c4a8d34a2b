"""SMS: our Twilio client against a local HTTP server that answers like Twilio's Messages API,
and an SMS care rule sending through the provider chosen by SMS_URL."""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from service import care, sending, sms
from service.models import CareMessage, CareRule
from tests.factories import ContactFactory, CustomerFactory
from tests.service.factories import CareRuleFactory
from tests.service.test_care import TODAY, _years_ago


class FakeTwilio(BaseHTTPRequestHandler):
    """Answers POST /2010-04-01/Accounts/<sid>/Messages.json like Twilio: 201 with a message
    sid, 400 with Twilio's error JSON for a bad number, 401 for bad credentials, 503 when
    `server.down` is set."""

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        self.server.requests.append(
            {"path": self.path, "form": form, "auth": self.headers["Authorization"]}
        )
        expected = "Basic " + base64.b64encode(b"AC123:secret").decode()
        if self.server.down:
            return self._answer(
                503, {"code": 20500, "message": "Service unavailable", "status": 503}
            )
        if self.headers["Authorization"] != expected:
            return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
        if not form.get("To", "").startswith("+"):
            return self._answer(400, {
                "code": 21211, "status": 400,
                "message": f"The 'To' number {form.get('To')} is not a valid phone number.",
            })  # fmt: skip
        return self._answer(201, {"sid": "SM" + "a" * 32, "status": "queued", "to": form["To"]})

    def _answer(self, status: int, data: dict) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def twilio():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    server.requests = []
    server.down = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server, token="secret") -> str:
    port = server.server_address[1]
    return f"twilio://AC123:{token}@127.0.0.1:{port}?from=+15005550006&scheme=http"


def test_twilio_client_sends(twilio):
    backend = sms.backend_from_url(_url(twilio))
    assert backend.send(to="+8613800138000", body="您好") == "SM" + "a" * 32
    [request] = twilio.requests
    assert request["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request["form"] == {"To": "+8613800138000", "From": "+15005550006", "Body": "您好"}


def test_twilio_errors_are_permanent_or_transient(twilio):
    backend = sms.backend_from_url(_url(twilio))
    with pytest.raises(sms.SmsError) as bad_number:
        backend.send(to="13800138000", body="x")
    assert not bad_number.value.transient
    assert "21211" in str(bad_number.value)
    assert "not a valid phone number" in str(bad_number.value)
    with pytest.raises(sms.SmsError) as bad_token:
        sms.backend_from_url(_url(twilio, token="wrong")).send(to="+8613800138000", body="x")
    assert not bad_token.value.transient
    twilio.down = True
    with pytest.raises(sms.SmsError) as down:
        backend.send(to="+8613800138000", body="x")
    assert down.value.transient


def test_unreachable_provider_is_transient():
    with pytest.raises(sms.SmsError) as exc:
        sms.backend_from_url("twilio://AC1:t@127.0.0.1:9?from=+1500&scheme=http").send(
            to="+8613800138000", body="x"
        )
    assert exc.value.transient


def test_sms_url_choices(settings):
    assert isinstance(sms.get_backend(), sms.ConsoleBackend)  # the default
    settings.SMS_URL = "twilio://AC1:tok@api.twilio.com?messaging_service=MG1"
    backend = sms.get_backend()
    assert backend.url == "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
    with pytest.raises(ValueError, match="Unknown SMS_URL scheme"):
        sms.backend_from_url("carrier-pigeon://")


@pytest.mark.django_db
def test_sms_care_rule_sends_through_the_provider(org, twilio, settings):
    settings.SMS_URL = _url(twilio)
    customer = CustomerFactory(
        owner=org.rep, language="zh-hans", kind="person",
        birthday=_years_ago(TODAY(), 30), phone="+8613912345678",
    )  # fmt: skip
    ContactFactory(customer=customer, phone="+8613000000000")
    CareRuleFactory(
        trigger=CareRule.Trigger.CUSTOMER_BIRTHDAY,
        channel=CareRule.Channel.SMS,
        subject_en="",
        subject_zh_hans="",
        body_en="Happy birthday, {customer}!",
        body_zh_hans="{customer}，祝您生日快乐！",  # noqa: RUF001
    )
    [pk] = care.care_run()
    assert sending.care_message_send(message_id=pk) == sending.SENT
    [request] = twilio.requests
    assert request["form"]["To"] == "+8613912345678"
    assert request["form"]["Body"] == f"{customer.name}，祝您生日快乐！"  # noqa: RUF001
    # Provider down: the message stays queued for a retry.
    twilio.down = True
    message = CareMessage.objects.get(pk=pk)
    CareMessage.objects.filter(pk=pk).update(status="queued")
    assert sending.care_message_send(message_id=message.pk) == sending.RETRY
    message.refresh_from_db()
    assert message.status == "queued"
    assert "503" in message.last_error


def test_national_numbers_are_sent_in_e164(twilio, settings):
    settings.SMS_URL = _url(twilio)
    assert sms.e164("138 0013-8000") == "+8613800138000"
    assert sms.e164("008613800138000") == "+8613800138000"
    assert sms.e164("+1 (415) 555-0100") == "+14155550100"
    assert sms.e164("07911123456", country_code="44") == "+447911123456"
    # A Chinese mobile number as people write it reaches the provider in the form it accepts.
    sms.send_sms(to="138 0013 8000", body="您好")
    assert twilio.requests[-1]["form"]["To"] == "+8613800138000"
