"""Access control across every URL of the project's apps: no page shows or changes another
team's records.

The URL patterns come from the resolver, so a new page is covered the day it is added: a new
pattern with a keyword argument fails `test_every_url_with_a_record_is_mapped` until PK_FOR (or
GLOBAL, with a reason) knows it.

Data: one record of each model, owned by `org.rep` (Shanghai), each carrying a marker string
("MARKER-<model>"). Outsiders: `org.other_team_rep` (a Beijing rep) and a manager of Beijing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from crm.models import ImportJob, Position
from tests.factories import ContactFactory, CustomerFactory, UserFactory
from tests.opportunities.factories import make_opportunity
from tests.orders.factories import ProductFactory, make_order

APPS = (
    "crm",
    "customers",
    "leads",
    "opportunities",
    "orders",
    "service",
    "notifications",
    "performance",
)
SKIPPED_NAMES = {
    "healthz",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "set_language",
}

# url name -> the record (of the other team) whose pk fills the URL.
PK_FOR = {
    "user-detail": lambda d: d.rep,
    "team-detail": lambda d: d.shanghai,
    "import-job": lambda d: d.import_job,
    "import-progress": lambda d: d.import_job,
    "import-confirm": lambda d: d.import_job,
    "import-rejected": lambda d: d.import_job,
    "customers:customer-detail": lambda d: d.customer,
    "customers:customer-update": lambda d: d.customer,
    "customers:customer-history": lambda d: d.customer,
    "customers:customer-timeline": lambda d: d.customer,
    "customers:activity-create": lambda d: d.customer,
    "customers:contact-create": lambda d: d.customer,
    "customers:contact-update": lambda d: d.contact,
    "customers:contact-delete": lambda d: d.contact,
    "customers:customer-claim": lambda d: d.customer,
    "customers:customer-release": lambda d: d.customer,
    "leads:lead-detail": lambda d: d.lead,
    "leads:lead-update": lambda d: d.lead,
    "leads:activity-create": lambda d: d.lead,
    "leads:lead-status": lambda d: d.lead,
    "leads:lead-disqualify": lambda d: d.lead,
    "leads:lead-reopen": lambda d: d.lead,
    "leads:lead-convert": lambda d: d.lead,
    "opportunities:opportunity-detail": lambda d: d.opportunity,
    "opportunities:opportunity-update": lambda d: d.opportunity,
    "opportunities:opportunity-move": lambda d: d.opportunity,
    "opportunities:activity-create": lambda d: d.opportunity,
    "opportunities:quote-create": lambda d: d.opportunity,
    "opportunities:quote-detail": lambda d: d.quote,
    "opportunities:quote-update": lambda d: d.quote,
    "opportunities:quote-pdf": lambda d: d.quote,
    "orders:order-detail": lambda d: d.order,
    "orders:order-update": lambda d: d.order,
    "orders:order-status": lambda d: d.order,
    "orders:order-schedule": lambda d: d.order,
    "orders:contract-detail": lambda d: d.contract,
    "orders:contract-update": lambda d: d.contract,
    "orders:contract-submit": lambda d: d.contract,
    "orders:contract-decide": lambda d: d.contract,
    "orders:contract-sign": lambda d: d.contract,
    "orders:contract-terminate": lambda d: d.contract,
    "orders:contract-pdf": lambda d: d.contract,
    "orders:contract-schedule": lambda d: d.contract,
    "orders:contract-document": lambda d: d.document,
    "orders:receivable-detail": lambda d: d.receivable,
    "orders:payment-create": lambda d: d.receivable,
    "orders:expense-update": lambda d: d.expense,
    "orders:expense-decide": lambda d: d.expense,
    "service:ticket-detail": lambda d: d.ticket,
    "service:ticket-update": lambda d: d.ticket,
    "service:ticket-move": lambda d: d.ticket,
    "service:ticket-assign": lambda d: d.ticket,
    "service:ticket-comment": lambda d: d.ticket,
    "notifications:notification-open": lambda d: d.notification,
    "performance:scorecard-detail": lambda d: d.scorecard,
    "performance:scorecard-records": lambda d: d.scorecard,
    "performance:scorecard-adjust": lambda d: d.scorecard,
    "performance:scorecard-submit": lambda d: d.scorecard,
    "performance:scorecard-send-back": lambda d: d.scorecard,
    "performance:scorecard-publish": lambda d: d.scorecard,
    "performance:scorecard-appeal": lambda d: d.scorecard,
    "performance:scorecard-recompute": lambda d: d.scorecard,
    "performance:scorecard-pdf": lambda d: d.scorecard,
    "performance:recomputation-decide": lambda d: d.recomputation,
    "performance:run-detail": lambda d: d.run,
    "performance:run-progress": lambda d: d.run,
    "performance:statistic-detail": lambda d: d.statistic,
    "performance:statistic-update": lambda d: d.statistic,
    "performance:statistic-delete": lambda d: d.statistic,
    "performance:statistic-export": lambda d: d.statistic,
}
# Path arguments besides the record's pk.
EXTRA_KWARGS = {"performance:scorecard-records": {"metric": "revenue"}}


def url_for(name: str, obj) -> str:
    params = kwarg_names(URLS[name])
    kwargs = {**dict.fromkeys(params, obj.pk), **EXTRA_KWARGS.get(name, {})}
    return reverse(name, kwargs=kwargs)


# Company-wide settings, not any team's data: not covered by this suite (say why).
GLOBAL = {
    "customers:pool-rule-update": "public-pool rule (company setting, admin only)",
    "leads:rule-edit": "lead assignment rule (company setting)",
    "leads:rule-toggle": "lead assignment rule (company setting)",
    "leads:member-toggle": "lead assignment rule member (company setting)",
    "leads:source-revoke": "web-form token (company setting)",
    "opportunities:board": "pipeline board: a pipeline, not a record (cards are scoped)",
    "opportunities:pipeline-update": "pipeline (company setting)",
    "orders:product-update": "product catalogue (shared by all teams)",
    "service:care-rule-update": "care rule (company setting)",
    "service:care-rule-preview": "care rule (company setting)",
    "service:flow-update": "service flow (company setting)",
    "audit-change": "audit trail (administrators only; tests/crm/test_security.py)",
    "audit-unlock": "login lockout (administrators only; tests/crm/test_security.py)",
    "performance:scheme-detail": "KPI scheme (company setting, admins only)",
    "performance:scheme-edit": "KPI scheme (company setting, admins only)",
    "performance:scheme-new-version": "KPI scheme (company setting, admins only)",
    "performance:scheme-activate": "KPI scheme (company setting, admins only)",
    "performance:scheme-delete": "KPI scheme (company setting, admins only)",
    "performance:period-detail": "an evaluation period: counts only the scorecards one may see",
    "performance:period-publish": "an evaluation period: HR publishes (tests/performance/review)",
}

# Pages whose kwargs are not a record: filled with every registered kind.
KIND_URLS = {"import-start", "import-template", "export-all"}


def _walk(resolver, ns=""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue
            yield from _walk(p, ns + (f"{p.namespace}:" if p.namespace else ""))
        elif isinstance(p, URLPattern):
            module = getattr(p.callback, "__module__", "")
            if module.split(".")[0] not in APPS:
                continue
            name = ns + (p.name or "")
            if p.name in SKIPPED_NAMES:
                continue
            yield name, p


def project_urls():
    seen = {}
    for name, pattern in _walk(get_resolver()):
        seen.setdefault(name, pattern)
    return seen


def kwarg_names(pattern: URLPattern) -> list[str]:
    return list(pattern.pattern.converters)


URLS = project_urls()
# What the suite checked, printed at the end of the run (tests/conftest.py).
CHECKED: dict[str, int] = {}
RECORD_URLS = sorted(n for n, p in URLS.items() if kwarg_names(p) and n not in KIND_URLS)
PLAIN_URLS = sorted(n for n, p in URLS.items() if not kwarg_names(p))


def test_every_url_with_a_record_is_mapped():
    unknown = [n for n in RECORD_URLS if n not in PK_FOR and n not in GLOBAL]
    assert not unknown, (
        f"New URL patterns with a record in their path: {unknown}. Add each to PK_FOR in "
        "tests/test_access_control.py (the object of another team that fills it), or to GLOBAL "
        "with the reason it holds no team's data."
    )
    stale = [n for n in (*PK_FOR, *GLOBAL) if n not in URLS]
    assert not stale, f"PK_FOR/GLOBAL name URLs that no longer exist: {stale}"
    assert len(RECORD_URLS) > 60  # the walk really reached the apps' includes


# --------------------------------------------------------------------------- data


@pytest.fixture
def data(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from customers.services import activity_log
    from leads.models import Lead
    from notifications.models import Notification
    from opportunities.models import Quote, QuoteLine
    from orders.models import Receivable
    from orders.services import (
        contract_create,
        contract_document_generate,
        expense_create,
        payment_record,
        receivables_schedule,
    )
    from orders.services.finance import Installment
    from service.models import CareMessage
    from service.services import ticket_open
    from tests.service.factories import CareRuleFactory

    rep = org.rep
    rep.first_name, rep.last_name = "MARKER-user", "Rep"
    rep.save()
    customer = CustomerFactory(name="MARKER-customer 上海", owner=rep)
    contact = ContactFactory(customer=customer, name="MARKER-contact")
    activity = activity_log(
        customer=customer, by=rep, kind="call", outcome="success", summary="MARKER-activity"
    )
    lead = Lead.objects.create(
        name="MARKER-lead",
        company="MARKER-leadco",
        phone="13800009999",
        source=Lead.Source.WEBSITE,
        owner=rep,
    )
    opportunity = make_opportunity(owner=rep, customer=customer, name="MARKER-opportunity")
    quote = Quote.objects.create(
        opportunity=opportunity,
        title="MARKER-quote",
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )
    QuoteLine.objects.create(
        quote=quote, description="MARKER-quoteline", quantity=1, unit_price=Decimal("5.00")
    )
    product = ProductFactory(sku="ACL-1", name="Shared product")
    order = make_order(
        customer=customer, owner=rep, lines=[(product, 2, "10.00")], status="confirmed"
    )
    order.note = "MARKER-order"
    order.save()
    contract = contract_create(
        by=rep, customer=customer, owner=rep, title="MARKER-contract", amount=Decimal("20.00")
    )
    document = contract_document_generate(contract=contract, by=rep)
    receivables_schedule(
        by=rep,
        order=order,
        installments=[
            Installment(Decimal(100), timezone.localdate(), label="MARKER-receivable"),
        ],
    )
    receivable = Receivable.objects.get(order=order)
    payment = payment_record(
        by=rep, receivable=receivable, amount=Decimal("1.00"), reference="MARKER-payment"
    )
    expense = expense_create(
        by=rep,
        owner=rep,
        spent_on=timezone.localdate(),
        category="travel",
        amount=Decimal("3.00"),
        note="MARKER-expense",
        customer=customer,
    )
    ticket = ticket_open(customer=customer, by=rep, summary="MARKER-ticket")
    care = CareMessage.objects.create(
        rule=CareRuleFactory(),
        customer=customer,
        contact=contact,
        channel="email",
        recipient="marker@example.com",
        occasion="MARKER-care",
        subject="MARKER-care",
        body="MARKER-care",
        idempotency_key="acl-1",
    )
    notification = Notification.objects.create(user=rep, title="MARKER-notification")
    import_job = ImportJob.objects.create(
        kind="customers",
        file=ContentFile(b"name\nMARKER-import\n", name="MARKER-import.csv"),
        original_name="MARKER-import.csv",
        created_by=rep,
        status=ImportJob.Status.INVALID,
        errors=[{"row": 1, "message": "MARKER-import"}],
        message="MARKER-import",
    )
    from performance.models import Recomputation, ScorecardRun
    from performance.models.statistics import CustomStatistic
    from tests.performance.factories import (
        ScorecardFactory,
        ScorecardItemFactory,
        evaluation_period,
        worked_example_scheme,
    )

    scorecard = ScorecardFactory(
        user=rep, scheme=worked_example_scheme(), reviewer_comment="MARKER-scorecard"
    )
    ScorecardItemFactory(scorecard=scorecard, metric="revenue", scheme_item__metric="revenue")
    recomputation = Recomputation.objects.create(
        scorecard=scorecard, reason="MARKER-recompute", requested_by=org.manager
    )
    run = ScorecardRun.objects.create(
        period=evaluation_period(), team=org.shanghai, requested_by=org.manager,
        status="done", message="MARKER-run",
    )  # fmt: skip
    statistic = CustomStatistic.objects.create(
        name="MARKER-statistic", module="customers", owner=org.manager
    )
    bj_manager = UserFactory(
        username="bj_manager", team=org.beijing, position=Position.Kind.REGIONAL_MANAGER
    )
    org.beijing.manager = bj_manager
    org.beijing.save()
    return SimpleNamespace(
        rep=rep,
        shanghai=org.shanghai,
        customer=customer,
        contact=contact,
        activity=activity,
        lead=lead,
        opportunity=opportunity,
        quote=quote,
        order=order,
        order_line=order.lines.get(),
        contract=contract,
        document=document,
        receivable=receivable,
        payment=payment,
        expense=expense,
        ticket=ticket,
        care=care,
        notification=notification,
        import_job=import_job,
        scorecard=scorecard,
        recomputation=recomputation,
        run=run,
        statistic=statistic,
        outsiders={"other_team_rep": org.other_team_rep, "beijing_manager": bj_manager},
    )


RECORDS = [
    "customer",
    "contact",
    "activity",
    "lead",
    "opportunity",
    "quote",
    "order",
    "order_line",
    "contract",
    "document",
    "receivable",
    "payment",
    "expense",
    "ticket",
    "care",
    "notification",
    "import_job",
    "scorecard",
    "recomputation",
    "run",
    "statistic",
]


def snapshot(d) -> dict:
    """Every record's fields plus the row count of every model of the apps (a POST that adds
    an activity, a quote, a payment or a history row shows here)."""
    rows = {}
    for attr in RECORDS:
        obj = getattr(d, attr)
        rows[attr] = model_to_dict(type(obj).objects.get(pk=obj.pk))
    counts = {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label in APPS and m._meta.label != "crm.User"
    }
    return {"rows": rows, "counts": counts}


def clients(d):
    out = {}
    for label, user in d.outsiders.items():
        client = Client()
        client.force_login(user)
        out[label] = client
    return out


def leaks(response) -> bool:
    """True when the response shows the record."""
    if response.status_code in (302, 403, 404, 405):
        location = urlsplit(response.get("Location", ""))
        return response.status_code == 302 and "MARKER" in location.path
    if response.status_code != 200:
        return False
    ctype = response.get("Content-Type", "")
    if "html" not in ctype and "json" not in ctype and "csv" not in ctype:
        return True  # a PDF, a file: a 200 is the record itself
    body = b"".join(response) if response.streaming else response.content
    return b"MARKER-" in body


def post_payload(obj) -> dict:
    data = {}
    for key, value in model_to_dict(obj).items():
        if value is None or isinstance(value, list | dict):
            continue
        data[key] = str(value.pk if hasattr(value, "pk") else value)
    for key in ("name", "title", "summary", "note", "subject"):
        if key in data:
            data[key] = "HACKED"
    return {
        **data,
        "comment": "HACKED",
        "decision": "approve",
        "approve": "1",
        "to": "won",
        "status": "done",
        "signed_on": str(timezone.localdate()),
        "amount": "1.00",
        "kind": "call",
        "outcome": "success",
    }


def test_no_record_url_shows_or_changes_another_teams_record(data):
    problems = []
    for label, client in clients(data).items():
        for name in RECORD_URLS:
            if name in GLOBAL:
                continue
            obj = PK_FOR[name](data)
            url = url_for(name, obj)
            before = snapshot(data)
            response = client.get(url)
            if leaks(response):
                problems.append(f"{label} GET {name} {url} -> {response.status_code} shows it")
            response = client.post(url, post_payload(obj))
            if response.status_code not in (403, 404, 405):
                problems.append(f"{label} POST {name} {url} -> {response.status_code}")
            if snapshot(data) != before:
                problems.append(f"{label} {name} {url} changed the record")
            CHECKED["record"] = CHECKED.get("record", 0) + 1
    assert not problems, "\n".join(problems)
    CHECKED["patterns"] = len(URLS)


def test_list_pages_and_exports_hide_other_teams_records(data):
    from crm.interchange.base import registered_importers

    problems = []
    for label, client in clients(data).items():
        for name in PLAIN_URLS:
            if URLS[name].callback.__module__ == "leads.api":
                continue
            url = reverse(name)
            for query in ("?q=MARKER", "?q=MARKER&export=csv", "?q=MARKER&export=xlsx"):
                response = client.get(url + query, follow=True)
                if response.status_code == 200 and "html" not in response.get("Content-Type", ""):
                    body = b"".join(response) if response.streaming else response.content
                    if "xlsx" in query and b"MARKER" not in body:
                        # xlsx is zipped: read it
                        body = _xlsx_text(body)
                    if b"MARKER-" in body:
                        problems.append(f"{label} GET {name}{query}")
                elif leaks(response):
                    problems.append(f"{label} GET {name}{query} -> {response.status_code}")
            CHECKED["list"] = CHECKED.get("list", 0) + 1
        for kind in [i.kind for i in registered_importers()]:
            for fmt in ("csv", "xlsx"):
                url = reverse("export-all", kwargs={"kind": kind, "fmt": fmt})
                response = client.get(url)
                if response.status_code == 200:
                    body = b"".join(response) if response.streaming else response.content
                    if fmt == "xlsx":
                        body = _xlsx_text(body)
                    if b"MARKER-" in body:
                        problems.append(f"{label} export {kind}.{fmt}")
            for name in ("import-start", "import-template"):
                kwargs = {"kind": kind}
                if "fmt" in kwarg_names(URLS[name]):
                    kwargs["fmt"] = "csv"
                response = client.get(reverse(name, kwargs=kwargs))
                if leaks(response) and response.get("Content-Type", "").startswith("text/"):
                    problems.append(f"{label} GET {name} {kind}")
    assert not problems, "\n".join(problems)


def _xlsx_text(body: bytes) -> bytes:
    import io

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(body), read_only=True)
    except Exception:  # not a workbook: judge the raw bytes
        return body
    cells = [
        str(c)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
    ]
    return " ".join(cells).encode()


def test_a_lead_api_token_reads_nothing(data, client):
    from leads.models import LeadSource

    token = "acl-token-of-another-source"
    LeadSource.objects.create(
        name="Partner", token_hash=LeadSource.hash_token(token), token_prefix=token[:8]
    )
    url = reverse("api:lead-create")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    before = snapshot(data)
    response = client.get(url, {"q": "MARKER"}, **headers)
    assert response.status_code == 405
    assert b"MARKER" not in response.content
    response = client.post(
        url,
        {"name": "Someone", "phone": data.lead.phone, "company": "MARKER-leadco"},
        **headers,
    )
    assert b"MARKER-lead" not in response.content
    assert snapshot(data)["rows"] == before["rows"]
    # No token, or a wrong one: nothing at all.
    assert client.post(url, {"name": "x"}).status_code == 401


def test_the_markers_do_show_to_the_owner(data):
    """The detector is sound: the owner's own pages show the markers, so a missing marker above
    means the record is hidden, not that the page never prints it."""
    client = Client()
    client.force_login(data.rep)
    for name in ("customers:customer-detail", "orders:order-detail", "service:ticket-detail"):
        response = client.get(reverse(name, kwargs={"pk": PK_FOR[name](data).pk}))
        assert leaks(response), name
    response = client.get(reverse("customers:customer-list") + "?q=MARKER")
    assert b"MARKER-customer" in response.content
    # The scorecard pages, the run and the statistic show theirs to the Shanghai manager.
    manager = Client()
    manager.force_login(data.scorecard.user.team.manager)
    for name in (
        "performance:scorecard-detail",
        "performance:scorecard-records",
        "performance:run-detail",
        "performance:statistic-detail",
    ):
        assert leaks(manager.get(url_for(name, PK_FOR[name](data)))), name


GLOBAL_OBJ = {
    "customers:pool-rule-update": lambda g: g.pool_rule,
    "leads:rule-edit": lambda g: g.rule,
    "leads:rule-toggle": lambda g: g.rule,
    "leads:member-toggle": lambda g: g.member,
    "leads:source-revoke": lambda g: g.source,
    "opportunities:board": lambda g: g.pipeline,
    "opportunities:pipeline-update": lambda g: g.pipeline,
    "orders:product-update": lambda g: g.product,
    "service:care-rule-update": lambda g: g.care_rule,
    "service:care-rule-preview": lambda g: g.care_rule,
    "service:flow-update": lambda g: g.flow,
    "audit-change": lambda g: g.pool_rule.history.first(),
    "audit-unlock": lambda g: g.attempt,
    "performance:scheme-detail": lambda g: g.scheme,
    "performance:scheme-edit": lambda g: g.scheme,
    "performance:scheme-new-version": lambda g: g.scheme,
    "performance:scheme-activate": lambda g: g.scheme,
    "performance:scheme-delete": lambda g: g.scheme,
    "performance:period-detail": lambda g: g.period,
    "performance:period-publish": lambda g: g.period,
}
GLOBAL_KWARGS = {
    "audit-change": lambda o: {"model": "customers.poolrule", "history_id": o.history_id},
    "performance:period-detail": lambda o: {"key": o.key},
    "performance:period-publish": lambda o: {"key": o.key},
}


def test_a_rep_cannot_change_company_settings(data):
    """The GLOBAL pages hold no team's data, but a plain rep must not change them either."""
    from axes.models import AccessAttempt

    from customers.models import PoolRule
    from leads.models import LeadSource
    from orders.models import Product
    from service.models import ServiceFlow
    from tests.leads.factories import rule_with
    from tests.opportunities.factories import tob
    from tests.performance.factories import KpiSchemeFactory, evaluation_period
    from tests.service.factories import CareRuleFactory

    rule = rule_with([data.rep])
    g = SimpleNamespace(
        pool_rule=PoolRule.objects.create(
            name="Pool rule", level="C", trigger="no_activity", days=30
        ),
        rule=rule,
        member=rule.members.get(),
        source=LeadSource.objects.create(
            name="Partner", token_hash=LeadSource.hash_token("t-1"), token_prefix="t-1"
        ),
        pipeline=tob(),
        product=Product.objects.get(sku="ACL-1"),
        care_rule=CareRuleFactory(),
        flow=ServiceFlow.objects.first(),
        attempt=AccessAttempt.objects.create(
            username="rep", ip_address="10.0.0.1", user_agent="x", failures_since_start=9,
            get_data="", post_data="", http_accept="", path_info="/accounts/login/",
        ),
        scheme=KpiSchemeFactory(status="draft", name="Draft scheme"),
        period=evaluation_period("2026-09"),
    )  # fmt: skip
    assert set(GLOBAL_OBJ) == set(GLOBAL), "map each GLOBAL URL to an object in GLOBAL_OBJ"
    client = clients(data)["other_team_rep"]
    problems = []
    for name in sorted(GLOBAL):
        obj = GLOBAL_OBJ[name](g)
        url = reverse(name, kwargs=GLOBAL_KWARGS.get(name, lambda o: {"pk": o.pk})(obj))
        before = model_to_dict(type(obj).objects.get(pk=obj.pk)), snapshot(data)["counts"]
        response = client.post(url, post_payload(obj))
        if response.status_code not in (403, 404, 405):
            problems.append(f"POST {name} {url} -> {response.status_code}")
        after = model_to_dict(type(obj).objects.get(pk=obj.pk)), snapshot(data)["counts"]
        if after != before:
            problems.append(f"POST {name} {url} changed it")
    assert not problems, "\n".join(problems)


# Pages that act on records named in the POST body (selections of ids, a person to hand over):
# the ids of another team's records are ignored or refused, never acted on.
BULK_POSTS = {
    "customers:customer-transfer": lambda d, me: {"ids": [d.customer.pk], "to_user": me.pk},
    "customers:pool-assign": lambda d, me: {"ids": [d.customer.pk], "to_user": me.pk},
    "customers:rep-handover": lambda d, me: {"from_user": d.rep.pk, "to_user": me.pk},
    "leads:lead-assign": lambda d, me: {"ids": [d.lead.pk], "to_user": me.pk},
    "service:care-message-resend": lambda d, me: {"ids": [d.care.pk]},
    "notifications:notification-read-all": lambda d, me: {},
}


def test_bulk_actions_ignore_other_teams_records(data):
    problems = []
    for label, client in clients(data).items():
        me = data.outsiders[label]
        for name, payload in BULK_POSTS.items():
            before = snapshot(data)
            response = client.post(reverse(name), payload(data, me), follow=True)
            if response.status_code >= 500:
                problems.append(f"{label} POST {name} -> {response.status_code}")
            if snapshot(data)["rows"] != before["rows"]:
                problems.append(f"{label} POST {name} changed another team's record")
            if b"MARKER-" in response.content:
                problems.append(f"{label} POST {name} showed another team's record")
    assert not problems, "\n".join(problems)


def test_bulk_actions_do_act_for_the_owner_team(data, org):
    """The detector is sound: the same posts by the records' own manager do change them."""
    client = Client()
    client.force_login(org.manager)
    client.post(
        reverse("customers:customer-transfer"),
        {"ids": [data.customer.pk], "to_user": org.teammate.pk},
    )
    data.customer.refresh_from_db()
    assert data.customer.owner == org.teammate
    client.post(reverse("leads:lead-assign"), {"ids": [data.lead.pk], "to_user": org.teammate.pk})
    data.lead.refresh_from_db()
    assert data.lead.owner == org.teammate
