"""Web-to-lead: `POST /api/leads/` from a website form or a partner, authenticated by a per-source
token (docs/leads.md has a curl example).

- Token: `Authorization: Bearer <token>` (or `X-Api-Token: <token>`); only its SHA-256 is stored.
- Body: JSON, or an ordinary form post (urlencoded or multipart).
- 201 {"id": ..} for a new lead; 200 {"id": .., "duplicate": true} when the same lead was
  posted within LEADS_API_DEDUPE_MINUTES; 400 {"errors": {field: [messages]}}; 401 bad token;
  429 over the token's rate (per minute, counted in the Django cache).

CSRF-exempt because no cookie authenticates it: the token in the header does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from customers.models import Customer
from leads import services
from leads.models import Lead, LeadSource

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


class ApiLeadForm(forms.Form):
    name = forms.CharField(max_length=120)
    company = forms.CharField(max_length=200, required=False)
    title = forms.CharField(max_length=120, required=False)
    phone = forms.CharField(max_length=40, required=False)
    email = forms.EmailField(max_length=254, required=False)
    source = forms.ChoiceField(choices=Lead.Source.choices, required=False)
    region = forms.CharField(max_length=60, required=False)
    industry = forms.ChoiceField(choices=Customer.Industry.choices, required=False)
    notes = forms.CharField(max_length=4000, required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("phone") or data.get("email")):
            raise forms.ValidationError(
                _("Give a phone number or an email address."), code="contact"
            )
        return data


def _token(request: HttpRequest) -> str:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("X-Api-Token", "").strip()


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class PayloadError(Exception):
    """The body cannot be read as a lead: a 400 (or 415) with a message and field errors."""

    def __init__(self, message, *, status: int = 400, errors: dict | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status
        self.errors = errors or {}


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")  # NaN, Infinity: Python accepts them


def _scalar(value) -> str | None:
    """A JSON value as the text of a field, or None when it is not one (objects, lists,
    true/false, or text a database cannot store: lone UTF-16 surrogates)."""
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        return None
    text = value if isinstance(value, str) else str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return text


def _payload(request: HttpRequest) -> dict:
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}", parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise PayloadError(_("The body is not a JSON object.")) from None
        if not isinstance(data, dict):
            raise PayloadError(_("The body is not a JSON object."))
        payload, errors = {}, {}
        for key, value in data.items():
            text = _scalar(value)
            if text is None:
                errors[key] = [str(_("Give this field as text."))]
            else:
                payload[key] = text
        if errors:
            raise PayloadError(_("Some fields are not valid."), errors=errors)
        return payload
    if content_type not in FORM_TYPES:
        raise PayloadError(
            _("Send JSON (application/json) or a form post (%(types)s).")
            % {"types": ", ".join(FORM_TYPES)},
            status=415,
        )
    try:
        post = request.POST
    except MultiPartParserError:
        raise PayloadError(_("The form post could not be read.")) from None
    payload, errors = {}, {}
    for key in post:
        text = _scalar(post.get(key, ""))
        if text is None:
            errors[key] = [str(_("Give this field as text."))]
        else:
            payload[key] = text
    if errors:
        raise PayloadError(_("Some fields are not valid."), errors=errors)
    return payload


def _rate_limited(source: LeadSource) -> bool:
    limit = source.rate_limit or _setting("LEADS_API_RATE_LIMIT", 60)
    window = int(timezone.now().timestamp() // 60)
    key = f"leads:api:rate:{source.pk}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return count > limit


def fingerprint(data: dict) -> str:
    parts = [
        " ".join(str(data.get(k, "")).split()).lower()
        for k in ("name", "company", "phone", "email", "notes")
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _error(status: int, message, **extra) -> JsonResponse:
    return JsonResponse({"error": str(message), **extra}, status=status)


@csrf_exempt
@require_POST
def lead_create(request: HttpRequest) -> JsonResponse:
    token = _token(request)
    source = None
    if token:
        source = LeadSource.objects.filter(
            token_hash=LeadSource.hash_token(token), is_active=True
        ).first()
    if source is None:
        return _error(401, _("A valid API token is required."))
    if _rate_limited(source):
        response = _error(429, _("Too many requests: slow down."))
        response["Retry-After"] = "60"
        return response
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    try:
        # The declared length first: a huge body is refused without being read.
        too_large = declared > MAX_BODY or len(request.body) > MAX_BODY
    except RequestDataTooBig:
        too_large = True
    if too_large:
        return _error(413, _("The request is too large."))
    try:
        data = _payload(request)
    except PayloadError as exc:
        return _error(exc.status, exc.message, errors=exc.errors)
    form = ApiLeadForm(data)
    if not form.is_valid():
        return _error(400, _("Some fields are not valid."), errors=_form_errors(form.errors))
    fields = dict(form.cleaned_data)
    fields["source"] = fields.get("source") or source.source
    fields["name"] = " ".join(fields["name"].split())
    digest = fingerprint(fields)
    window = dt.timedelta(minutes=_setting("LEADS_API_DEDUPE_MINUTES", 10))
    with transaction.atomic():
        # One submission at a time per fingerprint (the lock row is the token's): two identical
        # posts racing each other still make one lead.
        LeadSource.objects.select_for_update().filter(pk=source.pk).values_list("pk").first()
        existing = (
            Lead.objects.filter(
                fingerprint=digest,
                api_source=source,
                created_at__gte=timezone.now() - window,
            )
            .order_by("created_at")
            .values_list("pk", flat=True)
            .first()
        )
        if existing is not None:
            return JsonResponse({"id": existing, "duplicate": True}, status=200)
        try:
            # A savepoint: a model check the form did not make still leaves nothing written.
            with transaction.atomic():
                lead = services.lead_create(
                    by=None, api_source=source, fingerprint=digest, **fields
                )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            return _error(400, _("Some fields are not valid."), errors=errors)
        LeadSource.objects.filter(pk=source.pk).update(last_used_at=timezone.now())
    return JsonResponse({"id": lead.pk}, status=201)


def _form_errors(errors) -> dict[str, list[str]]:
    return {
        field: [str(e["message"]) for e in errs] for field, errs in errors.get_json_data().items()
    }
