"""Pages of the review chain: the scorecard list ("waiting for me" and everything visible), a
scorecard with its items, history and the forms of whoever acts now, the drill-down behind a
number, and HR's period page. Every page starts from the viewer's visible scorecards (404 for
the others); the services check the role (403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.pagination import CappedPaginator
from performance.models import EvaluationPeriod, Recomputation, ReviewStep
from performance.review import permissions as perms
from performance.review import selectors, services
from performance.review.forms import (
    AdjustForm,
    AppealForm,
    CommentForm,
    RecomputationDecisionForm,
    RecomputationRequestForm,
    ScorecardFilterForm,
)

PAGE_SIZE = 50
RECORDS_PAGE_SIZE = 50


@login_required
@require_GET
def scorecard_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    inbox_count = selectors.scorecard_list(user, inbox=True).count()
    view = request.GET.get("view") or ("inbox" if inbox_count else "all")
    form = ScorecardFilterForm(request.GET or None, viewer=user)
    filters = form.cleaned_data if form.is_valid() else {}
    scorecards = selectors.scorecard_list(user, inbox=view == "inbox", filters=filters)
    page = CappedPaginator(scorecards, PAGE_SIZE).get_page(request.GET.get("page"))
    period = filters.get("period")
    return render(
        request,
        "performance/review/scorecard_list.html",
        {
            "form": form,
            "page": page,
            "view": view,
            "inbox_count": inbox_count,
            "period": period,
            "recent_periods": EvaluationPeriod.objects.order_by("-start", "kind")[:6],
            "can_publish_period": perms.can_publish_period(user),
        },
    )


def _detail_context(request: HttpRequest, scorecard, **forms) -> dict:
    user = request.user
    items = list(scorecard.items.all())
    rows = selectors.item_rows(scorecard, items)
    steps = list(selectors.scorecard_steps(scorecard))
    if scorecard.user_id == user.pk:
        selectors.hide_reviewers_notes(steps)
    pending = selectors.pending_recomputation(scorecard)
    can_act = perms.can_act(user, scorecard)
    context = {
        "scorecard": scorecard,
        "rows": rows,
        "undefined_count": sum(1 for r in rows if r.item.score is None),
        "steps": steps,
        "sent_back": steps[-1]
        if steps and steps[-1].action == ReviewStep.Action.SENT_BACK
        else None,
        "recomputations": selectors.scorecard_recomputations(scorecard),
        "pending": pending,
        "is_person": scorecard.user_id == user.pk,
        "can_act": can_act,
        "statuses": list(perms.NEXT),
    }
    if perms.can_adjust(user, scorecard):
        context["adjust_form"] = forms.get("adjust_form") or AdjustForm(
            scorecard=scorecard, items=items
        )
    if can_act and scorecard.status != scorecard.Status.HR:
        context["submit_form"] = forms.get("submit_form") or CommentForm(prefix="submit")
    if perms.can_send_back(user, scorecard):
        context["send_back_form"] = forms.get("send_back_form") or CommentForm(
            prefix="back", required=True
        )
    if perms.can_publish(user, scorecard):
        context["publish_form"] = forms.get("publish_form") or CommentForm(prefix="publish")
    if perms.can_appeal(user, scorecard):
        context["appeal_form"] = forms.get("appeal_form") or AppealForm()
    if pending is None and perms.can_request_recomputation(user, scorecard):
        context["recompute_form"] = forms.get("recompute_form") or RecomputationRequestForm()
    if pending is not None and perms.can_decide_recomputation(user, pending):
        context["decide_form"] = forms.get("decide_form") or RecomputationDecisionForm()
    return context


def _render_detail(request: HttpRequest, scorecard, status: int = 200, **forms) -> HttpResponse:
    return render(
        request,
        "performance/review/scorecard_detail.html",
        _detail_context(request, scorecard, **forms),
        status=status,
    )


@login_required
@require_GET
def scorecard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, selectors.scorecard_for_detail(request.user, pk))


def _fail(request, scorecard, form, exc: ValidationError, name: str) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = None if field == "__all__" or field not in form.fields else field
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)
    return _render_detail(request, scorecard, status=400, **{name: form})


def _moved_on(request: HttpRequest, scorecard) -> HttpResponse | None:
    """A form posted from a page showing an earlier step (double click, or another reviewer
    was quicker): say so instead of acting, or refusing, on a step the user did not see."""
    shown = request.POST.get("status")
    if shown and shown != scorecard.status:
        messages.warning(
            request,
            _("The scorecard has moved on since you opened it (now: %(status)s).")
            % {"status": scorecard.get_status_display()},
        )
        return redirect(scorecard)
    return None


@login_required
@require_POST
def scorecard_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    scorecard = selectors.scorecard_for_detail(request.user, pk)
    if (moved := _moved_on(request, scorecard)) is not None:
        return moved
    if not perms.can_adjust(request.user, scorecard):
        raise PermissionDenied
    form = AdjustForm(request.POST, scorecard=scorecard, items=list(scorecard.items.all()))
    if not form.is_valid():
        return _render_detail(request, scorecard, status=400, adjust_form=form)
    adjustments = form.adjustments()
    try:
        services.adjust(
            scorecard, request.user, adjustments, expected_status=request.POST.get("status")
        )
    except ValidationError as exc:
        return _fail(request, scorecard, form, _errors_to_fields(exc), "adjust_form")
    if adjustments:
        messages.success(request, _("Adjustments saved."))
    return redirect(scorecard)


def _errors_to_fields(exc: ValidationError) -> ValidationError:
    """The service's errors are keyed by metric: point them at the form's comment fields."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError(
        {
            (key if key == "__all__" else f"points_{key}"): errors
            for key, errors in exc.error_dict.items()
        }
    )


def _step(
    request: HttpRequest,
    pk: int,
    *,
    allowed,
    service,
    prefix: str,
    form_name: str,
    done: str,
    required: bool = False,
    to_list: bool = True,
) -> HttpResponse:
    """One move along the chain (pass on, send back, publish): the scorecard as the user sees
    it, the step they saw, their right to take it, the comment, then the service."""
    scorecard = selectors.scorecard_for_detail(request.user, pk)
    if (moved := _moved_on(request, scorecard)) is not None:
        return moved
    if not allowed(request.user, scorecard):
        raise PermissionDenied
    form = CommentForm(request.POST, prefix=prefix, required=required)
    if not form.is_valid():
        return _render_detail(request, scorecard, status=400, **{form_name: form})
    try:
        service(
            scorecard,
            request.user,
            form.cleaned_data["comment"],
            expected_status=request.POST.get("status"),
        )
    except ValidationError as exc:
        return _fail(request, scorecard, form, exc, form_name)
    messages.success(request, done)
    return redirect("performance:scorecard-list") if to_list else redirect(scorecard)


@login_required
@require_POST
def scorecard_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        allowed=perms.can_act,
        service=services.submit,
        prefix="submit",
        form_name="submit_form",
        done=_("Scorecard passed on to the next step."),
    )


@login_required
@require_POST
def scorecard_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        allowed=perms.can_send_back,
        service=services.send_back,
        prefix="back",
        form_name="send_back_form",
        done=_("Scorecard sent back to the previous step."),
        required=True,
    )


@login_required
@require_POST
def scorecard_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        allowed=perms.can_publish,
        service=services.publish,
        prefix="publish",
        form_name="publish_form",
        done=_("Scorecard published: the person can see it now."),
        to_list=False,
    )


@login_required
@require_POST
def scorecard_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    scorecard = selectors.scorecard_for_detail(request.user, pk)
    if scorecard.user_id != request.user.pk:
        raise PermissionDenied
    form = AppealForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, scorecard, status=400, appeal_form=form)
    try:
        services.appeal(scorecard, request.user, form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(scorecard)
    messages.success(
        request,
        _("Your appeal was sent: the scorecard is back with your manager for review."),
    )
    return redirect("performance:scorecard-list")


@login_required
@require_POST
def scorecard_recompute(request: HttpRequest, pk: int) -> HttpResponse:
    scorecard = selectors.scorecard_for_detail(request.user, pk)
    if not perms.can_request_recomputation(request.user, scorecard):
        raise PermissionDenied
    form = RecomputationRequestForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, scorecard, status=400, recompute_form=form)
    try:
        services.request_recomputation(scorecard, request.user, form.cleaned_data["reason"])
    except ValidationError as exc:
        return _fail(request, scorecard, form, exc, "recompute_form")
    messages.success(request, _("Recomputation requested: it waits for HR's approval."))
    return redirect(scorecard)


@login_required
@require_POST
def recomputation_decide(request: HttpRequest, pk: int) -> HttpResponse:
    rc = get_object_or_404(
        Recomputation.objects.filter(scorecard__in=selectors.scorecards_visible(request.user)),
        pk=pk,
    )
    scorecard = selectors.scorecard_for_detail(request.user, rc.scorecard_id)
    if not perms.can_decide_recomputation(request.user, rc):
        raise PermissionDenied
    form = RecomputationDecisionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, scorecard, status=400, decide_form=form)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.decide_recomputation(rc, request.user, approve, form.cleaned_data["comment"])
    except ValidationError as exc:
        return _fail(request, scorecard, form, exc, "decide_form")
    messages.success(
        request,
        _("Recomputation approved: the scorecard shows today's figures.")
        if approve
        else _("Recomputation rejected."),
    )
    return redirect(scorecard)


@login_required
@require_GET
def scorecard_records(request: HttpRequest, pk: int, metric: str) -> HttpResponse:
    scorecard = selectors.scorecard_for_detail(request.user, pk)
    metric_obj, records = selectors.metric_records(scorecard, metric)
    page = CappedPaginator(records.queryset, RECORDS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [selectors.record_cells(row, records.columns) for row in page]
    item = scorecard.items.get(metric=metric)
    return render(
        request,
        "performance/review/scorecard_records.html",
        {
            "scorecard": scorecard,
            "metric": metric_obj,
            "item": item,
            "row": selectors.item_rows(scorecard, [item])[0],
            "records": records,
            "headers": [header for header, _accessor in records.columns],
            "rows": rows,
            "page": page,
        },
    )


def _period_or_404(key: str) -> EvaluationPeriod:
    return get_object_or_404(EvaluationPeriod, key=key)


@login_required
@require_GET
def period_detail(request: HttpRequest, key: str) -> HttpResponse:
    period = _period_or_404(key)
    summary = selectors.period_summary(request.user, period)
    return render(
        request,
        "performance/review/period_detail.html",
        {
            "period": period,
            "summary": summary,
            "waiting": summary["waiting"][:200],
            "can_publish": perms.can_publish_period(request.user) and not period.is_published,
            "list_url": reverse("performance:scorecard-list") + f"?view=all&period={period.key}",
        },
    )


@login_required
@require_POST
def period_publish(request: HttpRequest, key: str) -> HttpResponse:
    period = _period_or_404(key)
    if not perms.can_publish_period(request.user):
        raise PermissionDenied
    try:
        count = services.publish_period(period, request.user, request.POST.get("comment", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Period %(period)s published: %(count)s scorecards are now visible to their people.")
            % {"period": period.key, "count": count},
        )
    return redirect("performance:period-detail", key=period.key)
