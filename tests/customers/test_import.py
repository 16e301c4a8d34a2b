"""The four importers (users, customers, contacts, activities) through the management command
and through the import pages, with data scopes: what each persona may create, change and see."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from crm.celery import app as celery_app
from crm.interchange import export_response, read_table, run_import
from crm.models import ImportJob, Position, Team, User
from customers.models import Activity, Contact, Customer, OwnershipChange
from tests.factories import ActivityFactory, ContactFactory, CustomerFactory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def csv_bytes(rows, *, encoding="utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def write_file(tmp_path):
    def write(rows, name="data.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows))
        return path

    return write


def command(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_csv", *map(str, args), stdout=out, stderr=err)
    except CommandError as exc:
        raise CommandError(f"{exc}\n{err.getvalue()}") from exc
    return out.getvalue()


@pytest.fixture
def tasks_run_inline(settings, tmp_path):
    """Celery tasks run in the test process (no worker), uploads go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


# --- users ------------------------------------------------------------------------------------
USERS = [
    ["username", "full_name", "email", "team", "position", "is_team_manager"],
    ["li.lei", "李雷", "li.lei@example.com", "Hengtai/East/Shanghai", "rep", "false"],
    ["zhao.min", "赵敏", "zhao@example.com", "Hengtai/South/Shenzhen 1", "manager", "是"],
    ["amy", "Amy Lee Wong", "", "", "planner", ""],
]


def test_command_imports_users_with_teams_positions_and_managers(org, write_file):
    output = command("users", write_file(USERS))

    assert "3 rows: 3 were created" in output
    li, zhao = User.objects.get(username="li.lei"), User.objects.get(username="zhao.min")
    assert (li.team, li.position.kind, li.get_full_name()) == (org.shanghai, "sales_rep", "李雷")
    assert not li.has_usable_password()
    south = Team.objects.get(name="South", parent=org.company)
    shenzhen = Team.objects.get(name="Shenzhen 1", parent=south)
    assert (south.kind, shenzhen.kind) == (Team.Kind.REGION, Team.Kind.TEAM)
    assert shenzhen.path == f"{south.path}{shenzhen.pk}/"  # made by Team.save()
    assert (zhao.team, zhao.position.kind, shenzhen.manager) == (shenzhen, "regional_manager", zhao)
    amy = User.objects.get(username="amy")
    assert (amy.first_name, amy.last_name, amy.team) == ("Amy Lee", "Wong", None)

    assert "0 were created, 0 were updated, 3 unchanged" in command("users", write_file(USERS))


def test_users_export_reimports_unchanged(org):
    response = export_response("users", User.objects.all(), "xlsx", user=org.admin)
    table = read_table(io.BytesIO(response.getvalue()), "users.xlsx")
    result = run_import("users", table, user=org.admin, dry_run=True)
    assert result.errors == []
    assert (result.to_create, result.to_update) == (0, 0)
    assert result.unchanged == User.objects.filter(is_active=True).count()


def test_a_bad_users_file_writes_nothing(org, write_file):
    rows = [
        *USERS,
        ["ghost", "Ghost", "", "", "wizard", "maybe"],
        ["typo", "Typo", "", "Acme Corp/Sales", "rep", ""],
    ]

    with pytest.raises(CommandError) as excinfo:
        command("users", write_file(rows))

    message = str(excinfo.value)
    assert "row 5, position" in message
    assert "row 5, is_team_manager" in message
    assert "row 6, team: Unknown company “Acme Corp”" in message
    assert not User.objects.filter(username__in=["li.lei", "ghost"]).exists()
    assert not Team.objects.filter(name="South").exists()


def test_only_admins_import_users(org, write_file):
    with pytest.raises(CommandError, match="may not import users"):
        command("users", write_file(USERS), "--as", "manager")
    command("users", write_file(USERS), "--as", "admin")
    assert User.objects.filter(username="li.lei").exists()


# --- customers ----------------------------------------------------------------------------------
CUSTOMERS = [
    ["code", "name", "kind", "industry", "owner", "phone", "address", "source", "created_at"],
    ["K1", "恒泰机械", "company", "manufacturing", "rep", "021-1", "上海", "exhibition", ""],
    ["K2", "Pool Ltd", "company", "", "", "", "", "", "2024-01-02T10:00:00+08:00"],
    ["", "No Code Co", "企业", "", "teammate", "", "", "", ""],
]


def test_command_imports_customers_with_ownership_history_and_completeness(org, write_file):
    command("customers", write_file(CUSTOMERS))

    owned, pool = Customer.objects.get(code="K1"), Customer.objects.get(code="K2")
    assert owned.owner == org.rep
    assert owned.owned_since is not None
    assert owned.pool_entered_at is None
    assert pool.owner is None
    assert pool.pool_entered_at is not None
    assert pool.created_at == dt.datetime(2024, 1, 2, 10, tzinfo=SHANGHAI)
    generated = Customer.objects.get(name="No Code Co")
    assert generated.code.startswith("C")
    assert generated.owner == org.teammate
    # industry, phone, address, source of 9 key fields (no contact yet): 4/9
    assert owned.completeness == round(100 * 4 / 9)
    changes = OwnershipChange.objects.filter(reason=OwnershipChange.Reason.IMPORTED)
    assert changes.count() == 3
    assert changes.get(customer=owned).to_user == org.rep
    assert owned.history.count() == 1


def test_reimport_with_another_owner_records_the_change(org, write_file):
    command("customers", write_file(CUSTOMERS))
    rows = [["code", "owner"], ["K1", "teammate"], ["K2", "rep"]]
    rows[0].append("name")
    rows[1].append("恒泰机械")
    rows[2].append("Pool Ltd")

    assert "2 were updated" in command("customers", write_file(rows))

    k1 = Customer.objects.get(code="K1")
    assert k1.owner == org.teammate
    latest = k1.ownership_changes.first()
    assert (latest.from_user, latest.to_user, latest.reason) == (org.rep, org.teammate, "imported")
    k2 = Customer.objects.get(code="K2")
    assert (k2.owner, k2.pool_entered_at) == (org.rep, None)


def test_dry_run_writes_nothing(org, write_file):
    output = command("customers", write_file(CUSTOMERS), "--dry-run")
    assert "3 would be created" in output
    assert not Customer.objects.exists()
    assert not OwnershipChange.objects.exists()


def test_a_rep_cannot_update_another_teams_customer_by_code(org, write_file):
    theirs = CustomerFactory(code="THEIRS", name="Their name", owner=org.other_team_rep)
    rows = [["code", "name", "owner"], ["THEIRS", "Hijacked", "rep"], ["NEW1", "Mine", "rep"]]

    with pytest.raises(CommandError) as excinfo:
        command("customers", write_file(rows), "--as", "rep")

    assert "row 2, code" in str(excinfo.value)
    assert "Their name" not in str(excinfo.value)
    theirs.refresh_from_db()
    assert (theirs.name, theirs.owner) == ("Their name", org.other_team_rep)
    assert not Customer.objects.filter(code="NEW1").exists()  # all or nothing


def test_owner_must_be_within_the_importers_reach(org, write_file):
    rows = [["code", "name", "owner"], ["N1", "A", "teammate"], ["N2", "B", "nobody"]]

    with pytest.raises(CommandError) as excinfo:
        command("customers", write_file(rows), "--as", "rep")
    message = str(excinfo.value)
    # A colleague and a user who does not exist read the same to a rep.
    assert "row 2, owner: Unknown user “teammate”." in message
    assert "row 3, owner: Unknown user “nobody”." in message

    command("customers", write_file(rows[:2]), "--as", "manager")
    assert Customer.objects.get(code="N1").owner == org.teammate


def test_customers_export_reimports_unchanged(org):
    CustomerFactory(code="A1", owner=org.rep, phone="+86 21 5555", industry="it", level="A")
    CustomerFactory(code="A2", owner=None, kind="person", birthday=dt.date(1990, 3, 4))
    response = export_response("customers", Customer.objects.all(), "csv", user=org.manager)
    table = read_table(io.BytesIO(response.getvalue()), "c.csv")

    result = run_import("customers", table, user=org.admin, dry_run=False)

    assert (result.to_create, result.to_update, result.unchanged) == (0, 0, 2)
    assert not OwnershipChange.objects.exists()


# --- contacts -----------------------------------------------------------------------------------
def test_contacts_import_refreshes_completeness_and_keeps_one_primary(org, write_file):
    customer = CustomerFactory(
        code="K1", owner=org.rep, industry="it", scale="small", address="a", phone="1",
        website="https://x.example", business_status="ok", competitors="c", source="website",
    )  # fmt: skip
    customer.completeness = customer.completeness_for(has_contact=False)
    customer.save()
    old_primary = ContactFactory(customer=customer, name="Old", is_primary=True)
    rows = [
        ["customer", "name", "title", "phone", "is_primary", "birthday"],
        ["K1", "李明", "采购经理", "13800138000", "是", "1985-06-15"],
        ["K1", "Old", "Boss", "", "false", ""],
    ]

    output = command("contacts", write_file(rows), "--as", "rep")

    assert "1 were created, 1 were updated" in output
    li = Contact.objects.get(name="李明")
    assert (li.is_primary, li.birthday) == (True, dt.date(1985, 6, 15))
    old_primary.refresh_from_db()
    assert (old_primary.is_primary, old_primary.title) == (False, "Boss")
    customer.refresh_from_db()
    assert customer.completeness == 100

    assert "2 unchanged" in command("contacts", write_file(rows), "--as", "rep")
    assert Contact.objects.get(is_primary=True) == li


def test_first_contact_raises_completeness(org, write_file):
    customer = CustomerFactory(code="K1", owner=org.rep, industry="it")
    command("contacts", write_file([["customer", "name"], ["K1", "Wang"]]))
    customer.refresh_from_db()
    assert customer.completeness == round(100 * 2 / 9)


def test_contacts_of_a_customer_out_of_reach_read_as_unknown(org, write_file):
    CustomerFactory(code="THEIRS", owner=org.other_team_rep)
    rows = [["customer", "name"], ["THEIRS", "Spy"], ["NOPE", "Ghost"]]
    with pytest.raises(CommandError) as excinfo:
        command("contacts", write_file(rows), "--as", "rep")
    message = str(excinfo.value)
    assert "row 2, customer: Unknown customer code “THEIRS”." in message
    assert "row 3, customer: Unknown customer code “NOPE”." in message
    assert not Contact.objects.exists()


def test_contacts_export_reimports_unchanged(org):
    ContactFactory(customer=CustomerFactory(owner=org.rep), is_primary=True, phone="1")
    ContactFactory(customer=CustomerFactory(owner=org.rep), birthday=dt.date(1970, 1, 1))
    response = export_response("contacts", Contact.objects.all(), "xlsx", user=org.rep)
    table = read_table(io.BytesIO(response.getvalue()), "c.xlsx")
    result = run_import("contacts", table, user=org.rep, dry_run=True)
    assert (result.errors, result.unchanged, result.to_update) == ([], 2, 0)


# --- activities ---------------------------------------------------------------------------------
def test_activities_move_last_contacted_forward_and_reimport_dedupes(org, write_file):
    customer = CustomerFactory(code="K1", owner=org.rep)
    rows = [
        ["customer", "owner", "type", "outcome", "occurred_at", "summary"],
        ["K1", "rep", "visit", "success", "2025-03-05 14:30", "Visited the plant"],
        ["K1", "rep", "Phone call", "", "2025-03-01T09:00:00+08:00", "Called"],
    ]

    assert "2 were created" in command("activities", write_file(rows), "--as", "rep")

    customer.refresh_from_db()
    assert customer.last_contacted_at == dt.datetime(2025, 3, 5, 14, 30, tzinfo=SHANGHAI)
    visit = Activity.objects.get(kind="visit")
    assert (visit.owner, visit.outcome) == (org.rep, "success")

    rows[1][5] = "Visited the plant, quote requested"
    output = command("activities", write_file(rows), "--as", "rep")
    assert "0 were created, 1 were updated, 1 unchanged" in output
    assert Activity.objects.count() == 2


def test_an_older_activity_does_not_move_last_contacted_back(org, write_file):
    recent = dt.datetime(2025, 6, 1, tzinfo=SHANGHAI)
    customer = CustomerFactory(code="K1", owner=org.rep, last_contacted_at=recent)
    rows = [
        ["customer", "owner", "type", "occurred_at", "summary"],
        ["K1", "rep", "call", "2024-01-01 10:00", "Old call"],
    ]
    command("activities", write_file(rows))
    customer.refresh_from_db()
    assert customer.last_contacted_at == recent


def test_activities_need_a_known_owner_and_a_valid_time(org, write_file):
    CustomerFactory(code="K1", owner=org.rep)
    rows = [
        ["customer", "owner", "type", "occurred_at", "summary"],
        ["K1", "other_team_rep", "call", "2025-01-01 10:00", "x"],
        ["K1", "rep", "call", "yesterday", "x"],
        ["K1", "rep", "fax", "2025-01-01 10:00", ""],
    ]
    with pytest.raises(CommandError) as excinfo:
        command("activities", write_file(rows), "--as", "manager")
    message = str(excinfo.value)
    for expected in ("row 2, owner", "row 3, occurred_at", "row 4, type", "row 4, summary"):
        assert expected in message
    assert not Activity.objects.exists()


def test_activities_export_reimports_unchanged(org):
    ActivityFactory(customer=CustomerFactory(owner=org.rep), summary="=1+1 looks like a formula")
    ActivityFactory(customer=CustomerFactory(owner=org.teammate), kind="visit")
    response = export_response("activities", Activity.objects.all(), "csv", user=org.manager)
    table = read_table(io.BytesIO(response.getvalue()), "a.csv")
    result = run_import("activities", table, user=org.manager, dry_run=True)
    assert (result.errors, result.unchanged) == ([], 2)


# --- command details ------------------------------------------------------------------------------
def test_command_accepts_xlsx_and_reports_a_bad_file(org, write_file, tmp_path):
    command("customers", write_file(CUSTOMERS, "book.xlsx"))
    assert Customer.objects.count() == 3

    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(1, 256)) * 8)
    with pytest.raises(CommandError, match="encoding is not recognised"):
        command("customers", junk)
    with pytest.raises(CommandError, match="Unknown column “colour”"):
        command("customers", write_file([["name", "colour"], ["A", "red"]]))


def test_command_imports_the_gbk_file_excel_writes(org):
    command("customers", FIXTURES / "customers_excel_gbk.csv")
    assert Customer.objects.get(code="GBK001").name == "上海恒泰机械有限公司"


# --- pages ----------------------------------------------------------------------------------------
def upload(client, kind, rows, name="upload.csv", data=None):
    content = data if data is not None else (
        xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows)
    )  # fmt: skip
    return client.post(
        reverse("import-start", args=[kind]), {"file": SimpleUploadedFile(name, content)}
    )


def test_import_pages_need_a_login(client, org):
    for url in (reverse("import-index"), reverse("import-start", args=["customers"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_rep_cannot_import_users(rep_client):
    assert rep_client.get(reverse("import-start", args=["users"])).status_code == 403
    assert rep_client.post(reverse("import-start", args=["users"])).status_code == 403
    assert rep_client.get(reverse("import-template", args=["users", "csv"])).status_code == 403
    assert rep_client.get(reverse("import-start", args=["nonsense"])).status_code == 404
    index = rep_client.get(reverse("import-index"))
    assert reverse("import-start", args=["customers"]) in index.content.decode()
    assert reverse("import-start", args=["users"]) not in index.content.decode()


def test_positions_that_change_nothing_cannot_import(org, client):
    client.force_login(org.planner)  # may see all, change nothing
    assert client.get(reverse("import-start", args=["customers"])).status_code == 403


def test_template_download(rep_client):
    response = rep_client.get(reverse("import-template", args=["customers", "csv"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.getvalue().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("code,name,kind")
    assert len(lines) == 2
    response = rep_client.get(reverse("import-template", args=["customers", "xlsx"]))
    assert read_table(io.BytesIO(response.getvalue()), "t.xlsx").header[0] == "code"


def test_upload_preview_then_import(
    rep_client, org, tasks_run_inline, django_capture_on_commit_callbacks
):
    rows = [["客户编号", "客户名称", "负责人"], ["W1", "Web One", "rep"], ["W2", "Web Two", ""]]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(rep_client, "customers", rows, "客户.csv")
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.to_create, job.created_by) == (
        "validated", 2, 2, org.rep
    )  # fmt: skip
    assert not Customer.objects.exists()  # the preview is a dry run

    page = rep_client.get(job.get_absolute_url()).content.decode()
    assert "Import now" in page
    assert reverse("import-confirm", args=[job.pk]) in page

    with django_capture_on_commit_callbacks(execute=True):
        response = rep_client.post(reverse("import-confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "done"
    assert set(Customer.objects.values_list("code", flat=True)) == {"W1", "W2"}
    assert OwnershipChange.objects.filter(changed_by=org.rep, reason="imported").count() == 2
    assert "2 rows imported." in rep_client.get(job.get_absolute_url()).content.decode()

    # Confirming again does nothing: the job is done.
    with django_capture_on_commit_callbacks(execute=True):
        rep_client.post(reverse("import-confirm", args=[job.pk]))
    assert Customer.objects.count() == 2
    assert rep_client.get(reverse("import-confirm", args=[job.pk])).status_code == 405


def test_preview_lists_errors_and_offers_the_rejected_rows(
    rep_client, org, tasks_run_inline, django_capture_on_commit_callbacks
):
    CustomerFactory(code="THEIRS", owner=org.other_team_rep)
    rows = [
        ["code", "name", "birthday"],
        ["OK1", "Fine", ""],
        ["THEIRS", "Taken over", ""],
        ["BAD", "Bad date", "2024-02-31"],
    ]
    with django_capture_on_commit_callbacks(execute=True):
        upload(rep_client, "customers", rows, "mixed.xlsx")
    job = ImportJob.objects.get()
    job.refresh_from_db()
    assert job.status == "invalid"
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "code"), (4, "birthday")]

    page = rep_client.get(job.get_absolute_url()).content.decode()
    assert "Import now" not in page
    assert "2024-02-31" in page
    assert rep_client.post(reverse("import-confirm", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == "invalid"

    response = rep_client.get(reverse("import-rejected", args=[job.pk]))
    assert response.status_code == 200
    rejected = read_table(io.BytesIO(response.getvalue()), "r.xlsx")
    assert rejected.header[-1] == "error"
    assert [cells[0] for _n, cells in rejected.rows] == ["THEIRS", "BAD"]
    assert not Customer.objects.filter(code__in=["OK1", "BAD"]).exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.txt", b"a,b", "Upload a .csv or .xlsx file."),
        ("empty.csv", b"", "The submitted file is empty."),
    ],
)
def test_the_upload_form_rejects_wrong_files(rep_client, org, name, data, message):
    response = upload(rep_client, "customers", None, name, data=data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_unreadable_file_gives_a_message_not_a_500(
    rep_client, tasks_run_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(rep_client, "customers", None, "gbk.csv", data=b"\x81\xff\xfe garbage \x80\x80")
    job = ImportJob.objects.get()
    response = rep_client.get(job.get_absolute_url())
    assert response.status_code == 200
    assert "encoding is not recognised" in response.content.decode()
    assert rep_client.get(reverse("import-rejected", args=[job.pk])).status_code == 404


def test_admin_imports_users_through_the_pages(
    admin_client_, tasks_run_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client_, "users", USERS, "users.xlsx")
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_.post(reverse("import-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done"
    assert User.objects.get(username="zhao.min").position == Position.objects.get(
        kind="regional_manager"
    )


def test_jobs_are_private_to_their_uploader(
    rep_client, other_team_client, manager_client, admin_client_, org, tasks_run_inline
):
    upload(rep_client, "customers", [["name"], ["A"]])
    job = ImportJob.objects.get()
    vp_client = Client()
    vp_client.force_login(org.vp)  # sees every customer, but not other people's uploads
    for client in (other_team_client, manager_client, vp_client):
        assert client.get(job.get_absolute_url()).status_code == 404
        assert client.get(reverse("import-progress", args=[job.pk])).status_code == 404
        assert client.post(reverse("import-confirm", args=[job.pk])).status_code == 404
    assert admin_client_.get(job.get_absolute_url()).status_code == 200
    assert job.original_name in rep_client.get(reverse("import-index")).content.decode()
    assert job.original_name not in other_team_client.get(reverse("import-index")).content.decode()


def test_progress_fragment_polls_while_running_then_refreshes(rep_client, tasks_run_inline):
    upload(rep_client, "customers", [["name"], ["A"]])  # on_commit not run: no task yet
    job = ImportJob.objects.get()
    page = rep_client.get(job.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 1s"' in page
    fragment = rep_client.get(reverse("import-progress", args=[job.pk]))
    assert "HX-Refresh" not in fragment
    ImportJob.objects.filter(pk=job.pk).update(status="validated")
    assert rep_client.get(reverse("import-progress", args=[job.pk]))["HX-Refresh"] == "true"


def test_validate_task_is_idempotent(rep_client, org, tasks_run_inline):
    from crm.tasks import import_run_task, import_validate_task

    upload(rep_client, "customers", [["code", "name"], ["T1", "A"]])
    job = ImportJob.objects.get()
    import_validate_task.run(job.pk)
    import_validate_task.run(job.pk)  # redelivered: the job has moved on, nothing happens
    import_run_task.run(job.pk)  # not confirmed: nothing happens
    job.refresh_from_db()
    assert (job.status, job.to_create) == ("validated", 1)
    assert not Customer.objects.exists()


def test_export_pages_are_scoped(rep_client, admin_client_, org):
    CustomerFactory(code="MINE", owner=org.rep)
    CustomerFactory(code="THEIRS", owner=org.other_team_rep)
    response = rep_client.get(reverse("export-all", args=["customers", "csv"]))
    codes = [c[0] for _n, c in read_table(io.BytesIO(response.getvalue()), "x.csv").rows]
    assert codes == ["MINE"]
    assert rep_client.get(reverse("export-all", args=["users", "csv"])).status_code == 403
    assert rep_client.get(reverse("export-all", args=["customers", "pdf"])).status_code == 404
    response = admin_client_.get(reverse("export-all", args=["customers", "xlsx"]))
    assert len(read_table(io.BytesIO(response.getvalue()), "x.xlsx").rows) == 2
