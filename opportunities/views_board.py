"""The kanban board: one pipeline's stages as columns, cards dragged between them (SortableJS in
static/js/opportunities.js, posting to views.opportunity_move through htmx)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.models import User
from crm.scopes import DataScope, can_change_any, reach_of
from crm.widgets import FastSelect
from opportunities import selectors
from opportunities.forms import lost_reasons
from opportunities.models import Opportunity, Pipeline


@login_required
@require_GET
def board_default(request: HttpRequest) -> HttpResponse:
    pipelines = selectors.pipelines_active()
    if not pipelines:
        raise Http404
    default = next((p for p in pipelines if p.is_default), pipelines[0])
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    return redirect(reverse("opportunities:board", args=[default.pk]) + query)


def _owner_filter(request: HttpRequest) -> tuple[User | None, str]:
    """`?owner=me` (the default for people who own deals), `?owner=<id>` or `?owner=all`."""
    value = request.GET.get("owner", "")
    if value == "all":
        return None, "all"
    if value.isdigit():
        person = User.objects.visible_to(request.user).filter(pk=int(value)).first()
        if person is not None:
            return person, value
    # By default a rep sees their own deals; whoever reaches a team sees the team's.
    if value == "me" or (not value and reach_of(request.user).level == DataScope.OWN):
        return request.user, "me"
    return None, "all"


@login_required
@require_GET
def board(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = Pipeline.objects.filter(pk=pk, is_active=True).first()
    if pipeline is None:
        raise Http404
    owner, owner_value = _owner_filter(request)
    columns = selectors.board(viewer=request.user, pipeline=pipeline, owner=owner)
    card_ids = [card.pk for column in columns for card in column.cards]
    # Which cards this user may drag: one query for the whole board.
    movable = set(
        Opportunity.objects.editable_by(request.user)
        .filter(pk__in=card_ids)
        .values_list("pk", flat=True)
    )
    people = (
        User.objects.visible_to(request.user)
        .filter(is_active=True)
        .only("pk", "username", "first_name", "last_name")
        .order_by("username")
    )
    # Rendered in Python: a company-wide owner list is a thousand options (crm.widgets).
    owner_select = FastSelect(
        attrs={"id": "board-owner", "class": "form-select form-select-sm w-auto"},
        choices=[("me", _("Mine")), ("all", _("Everyone I can see"))]
        + [(str(p.pk), str(p)) for p in people],
    ).render("owner", owner_value)
    return render(
        request,
        "opportunities/board.html",
        {
            "pipeline": pipeline,
            "pipelines": selectors.pipelines_active(),
            "columns": columns,
            "movable": movable,
            "owner": owner,
            "owner_value": owner_value,
            "owner_select": owner_select,
            "per_column": selectors.BOARD_CARDS_PER_COLUMN,
            "closed_days": selectors.BOARD_CLOSED_DAYS,
            "can_create": can_change_any(request.user),
        },
    )


def board_reply(
    request: HttpRequest,
    result: str,
    message: str,
    *,
    status: int = 200,
    opportunity: Opportunity | None = None,
    form=None,
    stages=(),
    order_url: str | None = None,
) -> HttpResponse:
    """The answer to a board move. `result`: "moved" (the card stays where it was dropped, the
    column headers are refreshed out of band), "ask" (a lost reason is needed: the modal form,
    nothing changed; the card goes back until the form is sent) or "revert" (refused)."""
    columns = []
    if result == "moved" and opportunity is not None:
        owner, _value = _owner_filter_from_referer(request)
        columns = [
            selectors.board_column(
                viewer=request.user, pipeline=opportunity.pipeline, stage=stage, owner=owner
            )
            for stage in stages
        ]
    response = render(
        request,
        "opportunities/partials/board_reply.html",
        {
            "result": result,
            "message": message,
            "opportunity": opportunity,
            "form": form,
            "lost_reasons": lost_reasons() if result == "ask" else None,
            "columns": columns,
            "order_url": order_url,
        },
        status=status,
    )
    response["X-Board-Result"] = result
    if opportunity is not None:
        response["X-Board-Card"] = str(opportunity.pk)
        response["X-Board-Stage"] = str(opportunity.stage_id)
    return response


def _owner_filter_from_referer(request: HttpRequest) -> tuple[User | None, str]:
    """The board's owner filter, sent along with the move (so the headers count the same)."""
    value = request.POST.get("board_owner", "all")
    if value == "me":
        return request.user, "me"
    if value.isdigit():
        person = User.objects.visible_to(request.user).filter(pk=int(value)).first()
        if person is not None:
            return person, value
    return None, "all"
