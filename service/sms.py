"""Sending SMS: a small provider interface, chosen by the SMS_URL setting.

    console://                       print the message to the log (development default)
    locmem://                        keep messages in `service.sms.outbox` (tests)
    twilio://SID:TOKEN@api.twilio.com?from=+15005550006
                                     Twilio's REST Messages API (HTTPS, basic auth)
    twilio://SID:TOKEN@host?from=...&messaging_service=MG...
                                     (a Messaging Service instead of a sender number)

`scheme=http` in the query talks plain HTTP to the host: only for a local test server.
Twilio was chosen over Aliyun SMS because its API is one form POST with basic auth (no request
signing), and it reaches Chinese and foreign numbers alike; numbers must be in E.164 form
(+8613800138000). Standard library only (urllib).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)

outbox: list[SmsMessage] = []
TIMEOUT = 15


class SmsError(Exception):
    """A message the provider did not take. `transient` errors (network, rate limit, provider
    down) are worth retrying; the others (a bad number, bad credentials) are not."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class SmsBackend:
    def send(self, *, to: str, body: str) -> str:
        """Send one SMS; returns the provider's id for it. Raises SmsError."""
        raise NotImplementedError


class ConsoleBackend(SmsBackend):
    def send(self, *, to: str, body: str) -> str:
        logger.warning("SMS to %s: %s", to, body)
        print(f"SMS to {to}: {body}")  # noqa: T201 (the console backend's purpose)
        return "console"


class LocmemBackend(SmsBackend):
    def send(self, *, to: str, body: str) -> str:
        outbox.append(SmsMessage(to=to, body=body))
        return f"locmem-{len(outbox)}"


class TwilioBackend(SmsBackend):
    """POST /2010-04-01/Accounts/{sid}/Messages.json (To, From or MessagingServiceSid, Body)."""

    def __init__(self, *, sid: str, token: str, host: str, sender: str = "",
                 messaging_service: str = "", scheme: str = "https") -> None:  # fmt: skip
        if not (sid and token and (sender or messaging_service)):
            raise ValueError("twilio:// needs SID:TOKEN@host and ?from= or ?messaging_service=")
        self.sid, self.token, self.sender = sid, token, sender
        self.messaging_service = messaging_service
        self.url = f"{scheme}://{host}/2010-04-01/Accounts/{urllib.parse.quote(sid)}/Messages.json"

    def send(self, *, to: str, body: str) -> str:
        form = {"To": to, "Body": body}
        if self.messaging_service:
            form["MessagingServiceSid"] = self.messaging_service
        else:
            form["From"] = self.sender
        credentials = base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 (the URL is built here, always http(s))
            self.url,
            data=urllib.parse.urlencode(form).encode(),
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
                data = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise self._error(exc) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsError(f"Twilio unreachable: {exc}", transient=True) from exc
        except ValueError as exc:  # not JSON: something between us and Twilio answered
            raise SmsError(
                "Twilio answered with something that is not JSON", transient=True
            ) from exc
        if data.get("status") == "failed" or not data.get("sid"):
            raise SmsError(f"Twilio did not accept the message: {data}", transient=False)
        return data["sid"]

    @staticmethod
    def _error(exc: urllib.error.HTTPError) -> SmsError:
        try:
            data = json.loads(exc.read() or b"{}")
        except ValueError:
            data = {}
        detail = data.get("message") or exc.reason
        code = data.get("code")
        text = f"Twilio {exc.code}" + (f" (error {code})" if code else "") + f": {detail}"
        # Rate limits and the provider's own failures pass; a bad number or credentials do not.
        return SmsError(text, transient=exc.code == 429 or exc.code >= 500)


def e164(number: str, *, country_code: str | None = None) -> str:
    """The number in E.164 form, as providers want it: separators dropped, a leading 00 made
    +, and a national number given the default country code (setting SMS_DEFAULT_COUNTRY_CODE,
    86: a Chinese mobile number is usually written 13800138000). Anything else is passed as is
    (the provider refuses it, and the message shows as failed with the provider's reason)."""
    cleaned = re.sub(r"[\s\-().]", "", number or "")
    if cleaned.startswith("+"):
        return cleaned
    if cleaned.startswith("00"):
        return "+" + cleaned[2:]
    if cleaned.isdigit():
        code = country_code or str(getattr(settings, "SMS_DEFAULT_COUNTRY_CODE", "86"))
        return f"+{code}{cleaned.removeprefix('0')}"
    return cleaned


def backend_from_url(url: str) -> SmsBackend:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "console":
        return ConsoleBackend()
    if parts.scheme == "locmem":
        return LocmemBackend()
    if parts.scheme == "twilio":
        # A "+" in from=+1... is the number's, not an encoded space.
        query = dict(urllib.parse.parse_qsl(parts.query.replace("+", "%2B")))
        host = parts.hostname or "api.twilio.com"
        if parts.port:
            host = f"{host}:{parts.port}"
        return TwilioBackend(
            sid=urllib.parse.unquote(parts.username or ""),
            token=urllib.parse.unquote(parts.password or ""),
            host=host,
            sender=query.get("from", ""),
            messaging_service=query.get("messaging_service", ""),
            scheme="http" if query.get("scheme") == "http" else "https",
        )
    raise ValueError(f"Unknown SMS_URL scheme: {parts.scheme!r}")


def get_backend() -> SmsBackend:
    return backend_from_url(getattr(settings, "SMS_URL", "console://"))


def send_sms(*, to: str, body: str) -> str:
    return get_backend().send(to=e164(to), body=body)
