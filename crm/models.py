"""What every app shares: the user, the org chart (Team tree), positions and their data scope."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.scopes import DataScope, ScopedQuerySet


class Team(models.Model):
    """A node of the org chart: the company, a region or a sales team.

    `path` is a materialised path of primary keys ("/1/4/9/") maintained on save, so that "this
    team and everything under it" is one indexed prefix match, whatever the depth.
    """

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        REGION = "region", _("Region")
        TEAM = "team", _("Team")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEAM)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    manager = models.ForeignKey(
        "crm.User",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(excluded_fields=["path"])

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="team_unique_name_per_parent"),
            # One org chart: a single top row, and it is the company.
            models.CheckConstraint(
                condition=Q(parent__isnull=False) | Q(kind="company"), name="team_root_is_company"
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(parent__isnull=True), name="team_single_company"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            # One tree-wide lock (the top rows): a team moving while a child is created under it
            # would otherwise leave the child with its parent's old path. Team edits are rare.
            list(Team.objects.select_for_update().filter(parent__isnull=True).values("pk"))
            old_path = self.path
            is_new = self.pk is None
            if not is_new:
                self.path = self._path_for(self.pk)
                if self.parent_id and f"/{self.pk}/" in self.path[: -len(f"{self.pk}/")]:
                    raise ValidationError({"parent": _("A team cannot be placed under itself.")})
                if kwargs.get("update_fields") is not None:
                    kwargs["update_fields"] = {*kwargs["update_fields"], "path"}
            super().save(*args, **kwargs)
            if is_new:
                # The path holds the primary key, known only after the insert.
                self.path = self._path_for(self.pk)
                Team.objects.filter(pk=self.pk).update(path=self.path)
            elif old_path and old_path != self.path:
                # The team moved: rewrite the prefix of every descendant in one statement.
                Team.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(Value(self.path), Substr("path", len(old_path) + 1))
                )

    def get_absolute_url(self) -> str:
        return reverse("team-detail", args=[self.pk])

    @property
    def depth(self) -> int:
        """1 for the company, 2 for a region, 3 for a team below it..."""
        return self.path.count("/") - 1

    @property
    def indented_name(self) -> str:
        """The name indented by depth, for tree-ordered select options."""
        return "\u00a0\u00a0\u00a0" * (self.depth - 1) + self.name

    def clean(self) -> None:
        if self.kind == self.Kind.COMPANY and self.parent_id:
            raise ValidationError({"parent": _("The company is the top of the chart: no parent.")})
        if self.kind != self.Kind.COMPANY and not self.parent_id:
            raise ValidationError({"parent": _("Regions and teams must sit under another team.")})
        if self.parent_id and self.pk and f"/{self.pk}/" in self.parent.path:
            raise ValidationError({"parent": _("A team cannot be placed under itself.")})

    def _path_for(self, pk: int) -> str:
        parent_path = Team.objects.get(pk=self.parent_id).path if self.parent_id else "/"
        return f"{parent_path}{pk}/"

    def subtree(self) -> models.QuerySet[Team]:
        """This team and every team below it."""
        return Team.objects.filter(path__startswith=self.path)

    def ancestor_ids(self) -> list[int]:
        """Primary keys from the root down to this team (included), read off the path."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


class Position(models.Model):
    """A job in the sales organisation, and the data scope it grants.

    The kinds are fixed (the product's workflows refer to them); what each may see and change is
    configurable by admins, per company.
    """

    class Kind(models.TextChoices):
        SALES_REP = "sales_rep", _("Sales rep")
        REGIONAL_MANAGER = "regional_manager", _("Regional manager")
        SALES_PLANNER = "sales_planner", _("Sales planner")
        SALES_VP = "sales_vp", _("Sales VP")
        HR = "hr", _("HR")
        CUSTOMER_SERVICE = "customer_service", _("Customer service")
        ADMIN = "admin", _("Administrator")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, unique=True)
    view_scope = models.CharField(
        _("may see"),
        max_length=10,
        choices=DataScope.choices,
        default=DataScope.OWN,
        help_text=_("Whose records a person in this position can see."),
    )
    edit_scope = models.CharField(
        _("may change"),
        max_length=10,
        choices=DataScope.choices,
        default=DataScope.OWN,
        help_text=_(
            "Whose records a person in this position can change. Never wider than 'may see'."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["kind"]

    def __str__(self) -> str:
        return str(self.get_kind_display())

    def clean(self) -> None:
        if DataScope.rank(self.edit_scope) > DataScope.rank(self.view_scope):
            raise ValidationError({"edit_scope": _("A position cannot change what it cannot see.")})


class CrmUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


class User(AbstractUser):
    """A person who signs in. Belongs to one team and holds one position."""

    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    position = models.ForeignKey(
        Position,
        verbose_name=_("position"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Language of the screens and of the emails sent to this person."),
    )

    # Data scope: a user "owns" their own row and belongs to their team.
    scope_owner_field = "pk"
    scope_team_fields = ("team",)

    objects = CrmUserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        # Chinese names read family name first, without a space (王芳); others given name first.
        if any("\u4e00" <= ch <= "\u9fff" for ch in self.last_name + self.first_name):
            return f"{self.last_name}{self.first_name}".strip()
        return super().get_full_name()

    def get_absolute_url(self) -> str:
        return reverse("user-detail", args=[self.pk])


class Heartbeat(models.Model):
    """The last time a background component (worker, beat) proved it was alive."""

    component = models.CharField(max_length=40, unique=True)
    seen_at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.component} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


def is_administrator(user) -> bool:
    """Superusers and people in the admin position (imports of people, everyone's imports)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or (
        user.position is not None and user.position.kind == Position.Kind.ADMIN
    )


class ImportJobQuerySet(ScopedQuerySet):
    """Import jobs are private to their uploader (they hold the uploaded rows and their
    errors); administrators see them all. Not the position's scope: a VP sees every customer,
    but not a planner's half-finished upload."""

    def visible_to(self, user) -> ImportJobQuerySet:
        if is_administrator(user):
            return self.all()
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(created_by=user)

    def editable_by(self, user) -> ImportJobQuerySet:
        return self.visible_to(user)


class ImportJob(models.Model):
    """One uploaded file on its way in: validated (dry run, the preview), then imported, each
    step in a Celery task (crm/interchange/jobs.py). Only the statuses in TRANSITIONS follow
    each other."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        VALIDATING = "validating", _("Checking")
        VALIDATED = "validated", _("Ready to import")
        INVALID = "invalid", _("Has errors")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    # A task redelivered after a worker died finds its job in VALIDATING / IMPORTING and runs
    # again: both steps are idempotent (the import matches records by natural key).
    TRANSITIONS = {
        Status.UPLOADED: {Status.VALIDATING},
        Status.VALIDATING: {Status.VALIDATING, Status.VALIDATED, Status.INVALID, Status.FAILED},
        Status.VALIDATED: {Status.IMPORTING},
        Status.IMPORTING: {Status.IMPORTING, Status.DONE, Status.INVALID, Status.FAILED},
        Status.INVALID: set(),
        Status.DONE: set(),
        Status.FAILED: set(),
    }
    RUNNING = (Status.UPLOADED, Status.VALIDATING, Status.IMPORTING)

    kind = models.CharField(_("kind"), max_length=30)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    created_by = models.ForeignKey(
        "crm.User",
        verbose_name=_("uploaded by"),
        on_delete=models.CASCADE,
        related_name="import_jobs",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UPLOADED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    to_create = models.PositiveIntegerField(_("to create"), default=0)
    to_update = models.PositiveIntegerField(_("to update"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.original_name}"

    def get_absolute_url(self) -> str:
        return reverse("import-job", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def can_import(self) -> bool:
        return self.status == self.Status.VALIDATED

    @property
    def has_row_errors(self) -> bool:
        return any(error.get("row") for error in self.errors)

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.processed_rows / self.total_rows))

    @property
    def file_format(self) -> str:
        return self.original_name.rsplit(".", 1)[-1].lower()
