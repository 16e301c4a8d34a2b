"""Quotes made from an opportunity: create / edit with their lines, view, and the PDF."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crm.models import Team
from crm.pdf import render_pdf
from crm.scopes import can_change, get_editable_or_404, get_visible_or_404
from opportunities import services
from opportunities.forms import QuoteForm, QuoteLineFormSet
from opportunities.models import Opportunity, Quote

QUOTE_VALID_DAYS = 30


def default_terms() -> str:
    return _(
        "1. Prices in %(currency)s.\n"
        "2. Payment: 30%% on signing the contract, 70%% before delivery.\n"
        "3. Delivery within 30 days of the order.\n"
        "4. This quote is valid until the date shown above."
    ) % {"currency": settings.CRM_CURRENCY}


def _quote_page(request, *, quote: Quote, opportunity: Opportunity, initial_lines=None):
    form = QuoteForm(request.POST or None, instance=quote)
    lines = QuoteLineFormSet(request.POST or None, initial=initial_lines, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            services.quote_save(quote=form.instance, lines=lines.lines(), by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Quote %(number)s saved.") % {"number": form.instance})
            return redirect(form.instance)
    return render(
        request,
        "opportunities/quote_form.html",
        {
            "form": form,
            "lines": lines,
            "quote": quote if quote.pk else None,
            "opportunity": opportunity,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def quote_create(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_editable_or_404(
        Opportunity.objects.select_related("customer"), request.user, pk=pk
    )
    today = timezone.localdate()
    quote = Quote(
        opportunity=opportunity,
        title=opportunity.name,
        issued_on=today,
        valid_until=today + dt.timedelta(days=QUOTE_VALID_DAYS),
        terms=default_terms(),
    )
    initial = [{"description": opportunity.name, "quantity": 1, "unit_price": opportunity.amount}]
    return _quote_page(request, quote=quote, opportunity=opportunity, initial_lines=initial)


@login_required
@require_http_methods(["GET", "POST"])
def quote_update(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_editable_or_404(
        Quote.objects.select_related("opportunity__customer"), request.user, pk=pk
    )
    initial = [
        {
            "product": line.product_id,
            "description": line.description,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
        }
        for line in quote.lines.all()
    ]
    return _quote_page(request, quote=quote, opportunity=quote.opportunity, initial_lines=initial)


def _document_context(quote: Quote) -> dict:
    lines = list(quote.lines.select_related("product"))
    company = Team.objects.filter(parent__isnull=True).first()
    opportunity = quote.opportunity
    return {
        "quote": quote,
        "opportunity": opportunity,
        "customer": opportunity.customer,
        "contact": opportunity.contact,
        "owner": opportunity.owner,
        "lines": lines,
        "totals": quote.totals(lines),
        "company_name": company.name if company else "",
    }


@login_required
@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_visible_or_404(
        Quote.objects.select_related(
            "opportunity__customer", "opportunity__contact", "opportunity__owner", "created_by"
        ),
        request.user,
        pk=pk,
    )
    context = _document_context(quote)
    context["can_edit"] = can_change(request.user, quote)
    return render(request, "opportunities/quote_detail.html", context)


@login_required
@require_GET
def quote_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The quote as a PDF, in the reader's language (?lang=zh-hans / en to choose)."""
    quote = get_visible_or_404(
        Quote.objects.select_related(
            "opportunity__customer", "opportunity__contact", "opportunity__owner"
        ),
        request.user,
        pk=pk,
    )
    languages = dict(settings.LANGUAGES)
    language = request.GET.get("lang") or request.user.language or translation.get_language()
    if language not in languages:
        language = translation.get_language()
    with translation.override(language):
        pdf = render_pdf(
            "opportunities/quote_pdf.html", {**_document_context(quote), "LANGUAGE_CODE": language}
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{quote.number}.pdf"'
    return response
