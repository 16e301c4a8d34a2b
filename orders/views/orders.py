"""Pages of orders: the list with totals and export, entry with dynamic lines (htmx), tracking
with the status history, status moves; and the product catalogue."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.interchange.http import export_or_none
from crm.pagination import CappedPaginator
from crm.scopes import can_change, can_change_any, get_editable_or_404, get_visible_or_404
from customers.models import Customer
from orders import selectors, services
from orders.forms import LineFormSet, OrderForm, ProductForm, StatusForm
from orders.models import Order, Product
from orders.models.orders import money
from orders.permissions import may_manage_products
from orders.services import LineInput

PAGE_SIZE = 50
LINES_PREFIX = "lines"
LIMIT = Decimal("1e12")  # money columns: 14 digits, 2 of them decimals


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    orders = selectors.order_list(viewer=request.user, data=request.GET, request=request)
    if (response := export_or_none(request, "orders", orders.qs)) is not None:
        return response
    page = CappedPaginator(orders.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/order_list.html",
        {
            "filter": orders,
            "page": page,
            "totals": page.paginator.totals(lambda: selectors.order_totals(orders.qs)),
            "can_create": can_change_any(request.user),
        },
    )


def _opportunity_for(request: HttpRequest):
    """The opportunity named by ?opportunity=<pk>, if the user sees it (else 404)."""
    pk = request.GET.get("opportunity", "")
    if not pk.isdigit():
        return None
    from opportunities.models import Opportunity

    return get_visible_or_404(
        Opportunity.objects.select_related("customer", "owner"), request.user, pk=int(pk)
    )


def _quote_lines(opportunity) -> list[dict]:
    """The product lines of the opportunity's accepted quote (else its latest), at the quoted
    net unit price (discount applied, to the cent). Lines without a product are left out."""
    quotes = getattr(opportunity, "quotes", None)
    if quotes is None:
        return []
    quote = (
        quotes.filter(status="accepted").order_by("-created_at", "-id").first()
        or quotes.order_by("-created_at", "-id").first()
    )
    if quote is None:
        return []
    rows = []
    for line in quote.lines.order_by("position", "id"):
        if not getattr(line, "product_id", None):
            continue
        discount = getattr(line, "discount_percent", None) or Decimal(0)
        rows.append(
            {
                "product": line.product_id,
                "quantity": line.quantity,
                "unit_price": money(line.unit_price * (Decimal(100) - discount) / Decimal(100)),
            }
        )
    return rows


def _line_inputs(formset) -> list[LineInput]:
    existing = {}
    ids = [f.cleaned_data.get("line_id") for f in formset.forms if f.cleaned_data]
    if formset.order is not None:
        existing = {line.pk: line for line in formset.order.lines.filter(pk__in=ids)}
    return [
        LineInput(
            product=f.cleaned_data["product"],
            quantity=f.cleaned_data["quantity"],
            unit_price=f.cleaned_data.get("unit_price"),
            line=existing.get(f.cleaned_data.get("line_id")),
        )
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


def _lines_context(formset, *, preview: bool) -> dict:
    """Each row with its list price and amount, and the totals, for the lines partial."""
    rows, total, list_total = [], Decimal("0.00"), Decimal("0.00")
    for form in formset.forms:
        product = form.chosen_product
        deleted = form.is_bound and form.data.get(form.add_prefix("DELETE")) in ("on", "true")
        quantity = _decimal(form, "quantity")
        price = _decimal(form, "unit_price")
        list_price = product.list_price if product else None
        if price is None:
            price = list_price
        amount = list_amount = None
        if quantity is not None and price is not None and quantity > 0:
            amount = money(quantity * price)
            list_amount = money(quantity * list_price) if list_price is not None else amount
            if not deleted:
                total += amount
                list_total += list_amount
        rows.append(
            {
                "form": form,
                "product": product,
                "list_price": list_price,
                "amount": amount,
                "deleted": deleted,
            }
        )
    return {
        "formset": formset,
        "rows": rows,
        "total": total,
        "list_total": list_total,
        "discount": list_total - total,
        "preview": preview,
    }


def _decimal(form, name: str) -> Decimal | None:
    raw = form.data.get(form.add_prefix(name)) if form.is_bound else form.initial.get(name)
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None
    # "NaN" and "Infinity" parse, but are no quantity or price (and would fail to compare).
    # (nor is a number beyond the columns' 14 digits).
    return value if value.is_finite() and abs(value) < LIMIT else None


def _order_form_page(request: HttpRequest, *, order: Order | None, initial: dict, lines: list):
    form = OrderForm(request.POST or None, user=request.user, initial=initial)
    formset = LineFormSet(request.POST or None, prefix=LINES_PREFIX, initial=lines)
    formset.order = order
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            if order is None:
                order = services.order_create(
                    by=request.user,
                    customer=data["customer"],
                    owner=data["owner"],
                    order_date=data["order_date"],
                    note=data["note"],
                    opportunity=initial.get("opportunity"),
                    lines=_line_inputs(formset),
                )
                messages.success(request, _("Order %(number)s created.") % {"number": order})
            else:
                services.order_update(
                    order=order, by=request.user, lines=_line_inputs(formset), **data
                )
                messages.success(request, _("Changes saved."))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(order)
    context = {
        "form": form,
        "order": order,
        "opportunity": initial.get("opportunity"),
        **_lines_context(formset, preview=False),
    }
    return render(request, "orders/order_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    if not can_change_any(request.user):
        raise PermissionDenied
    initial: dict = {"owner": request.user}
    lines: list[dict] = []
    if (opportunity := _opportunity_for(request)) is not None:
        initial.update(
            opportunity=opportunity, customer=opportunity.customer, owner=opportunity.owner
        )
        lines = _quote_lines(opportunity)
    elif (pk := request.GET.get("customer", "")).isdigit():
        initial["customer"] = get_visible_or_404(Customer, request.user, pk=int(pk))
    return _order_form_page(request, order=None, initial=initial, lines=lines or [{}])


@login_required
@require_http_methods(["GET", "POST"])
def order_update(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_editable_or_404(Order.objects.select_related("customer"), request.user, pk=pk)
    if not order.is_editable:
        messages.error(request, _("Only a draft order can be changed."))
        return redirect(order)
    initial = {
        "customer": order.customer,
        "owner": order.owner,
        "order_date": order.order_date,
        "note": order.note,
    }
    lines = [
        {
            "line_id": line.pk,
            "product": line.product_id,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
        }
        for line in selectors.order_lines(order)
    ]
    return _order_form_page(request, order=order, initial=initial, lines=lines)


@login_required
@require_POST
def order_lines(request: HttpRequest) -> HttpResponse:
    """htmx: the lines of the entry form recomputed on the server (list prices filled in from
    the products, amounts and totals), with one more row when `add` is posted."""
    data = request.POST.copy()
    total_key = f"{LINES_PREFIX}-TOTAL_FORMS"
    try:
        count = max(0, min(int(data.get(total_key, "0")), 500))
    except ValueError:
        count = 0
    if "add" in data:
        data[f"{LINES_PREFIX}-{count}-quantity"] = "1"
        count += 1
    data[total_key] = str(count)
    formset = LineFormSet(data, prefix=LINES_PREFIX)
    return render(
        request, "orders/partials/order_lines.html", _lines_context(formset, preview=True)
    )


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for_detail(viewer=request.user, pk=pk)
    editable = can_change(request.user, order)
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "lines": selectors.order_lines(order),
            "history": selectors.order_history(order),
            "receivables": order.receivables.order_by("due_date", "id"),
            "contracts": order.contracts.order_by("-created_at"),
            "can_edit": editable and order.is_editable,
            "can_move": editable,
            "next_statuses": [Order.Status(s) for s in order.next_statuses()],
            "can_schedule": editable and order.is_counted,
        },
    )


@login_required
@require_POST
def order_status(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_editable_or_404(Order, request.user, pk=pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown status."))
        return redirect(order)
    try:
        services.order_change_status(
            order=order, to=form.cleaned_data["to"], by=request.user, note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Order %(number)s is now %(status)s.")
            % {"number": order.number, "status": order.get_status_display()},
        )
    return redirect(order)


# --- products ---------------------------------------------------------------------------------
@login_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    manage = may_manage_products(request.user)
    products = selectors.product_list(
        search=request.GET.get("q", ""), include_inactive=manage and "all" in request.GET
    )
    if (response := export_or_none(request, "products", products)) is not None:
        return response
    page = CappedPaginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/product_list.html",
        {"page": page, "can_manage": manage, "q": request.GET.get("q", "")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not may_manage_products(request.user):
        raise PermissionDenied
    product = get_object_or_404(Product, pk=pk) if pk else Product()
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        services.product_save(product=form.instance, by=request.user)
        messages.success(request, _("Product %(name)s saved.") % {"name": form.instance})
        return redirect("orders:product-list")
    return render(request, "orders/product_form.html", {"form": form, "product": product})
