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
from django.db import transaction
from django.http import HttpRequest, JsonResponse
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
    email = forms.EmailField(required=False)
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


def _payload(request: HttpRequest) -> dict | None:
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict):
            return None
        return {k: ("" if v is None else str(v)) for k, v in data.items()}
    return {k: request.POST.get(k, "") for k in request.POST}


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
    if len(request.body) > MAX_BODY:
        return _error(413, _("The request is too large."))
    data = _payload(request)
    if data is None:
        return _error(400, _("The body is not a JSON object."), errors={})
    form = ApiLeadForm(data)
    if not form.is_valid():
        errors = {
            field: [str(e["message"]) for e in errs]
            for field, errs in form.errors.get_json_data().items()
        }
        return _error(400, _("Some fields are not valid."), errors=errors)
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
        lead = services.lead_create(by=None, api_source=source, fingerprint=digest, **fields)
        LeadSource.objects.filter(pk=source.pk).update(last_used_at=timezone.now())
    return JsonResponse({"id": lead.pk}, status=201)
