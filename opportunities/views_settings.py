"""Administrators' pages: pipelines with their stages, and the list of lost reasons."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, ProtectedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crm.models import is_administrator
from opportunities.forms import LostReasonFormSet, PipelineForm, StageFormSet
from opportunities.models import LostReason, Pipeline


def _require_admin(request: HttpRequest) -> None:
    if not is_administrator(request.user):
        raise PermissionDenied


@login_required
@require_GET
def pipeline_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    pipelines = Pipeline.objects.annotate(stage_count=Count("stages")).order_by("order", "id")
    return render(request, "opportunities/pipeline_list.html", {"pipelines": pipelines})


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request)
    pipeline = get_object_or_404(Pipeline, pk=pk) if pk else Pipeline()
    form = PipelineForm(request.POST or None, instance=pipeline)
    formset = StageFormSet(request.POST or None, instance=pipeline, prefix="stages")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            with transaction.atomic():
                if form.cleaned_data["is_default"]:
                    # One default pipeline: taking the flag takes it from the previous one.
                    Pipeline.objects.exclude(pk=pipeline.pk).filter(is_default=True).update(
                        is_default=False
                    )
                pipeline = form.save()
                formset.instance = pipeline
                formset.save()
        except ProtectedError:
            # A stage deleted here was used meanwhile (a deal moved into it): nothing saved.
            form.add_error(None, _("A stage to delete is in use: nothing was saved."))
        else:
            messages.success(request, _("Pipeline %(name)s saved.") % {"name": pipeline})
            return redirect("opportunities:pipeline-list")
    return render(
        request,
        "opportunities/pipeline_form.html",
        {"form": form, "formset": formset, "pipeline": pipeline if pk else None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def lost_reasons(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    formset = LostReasonFormSet(request.POST or None, queryset=LostReason.objects.all())
    if request.method == "POST" and formset.is_valid():
        formset.save()
        messages.success(request, _("Lost reasons saved."))
        return redirect("opportunities:lost-reasons")
    return render(request, "opportunities/lost_reasons.html", {"formset": formset})
