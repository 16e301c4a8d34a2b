"""Writes of KPI schemes: create a scheme (version 1), edit a draft, copy a version into a new
draft, activate a draft (retiring the position's active one), delete an unused version, and the
default schemes the demo and the tests start from. Reads: `scheme_diff`, `scheme_is_used`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Position, User
from performance.models import KpiScheme, KpiSchemeItem, Scorecard
from performance.models.schemes import DEFAULT_CAP, default_bands

SCHEME_FIELDS = ("name", "position", "uses_team_figures", "adjustment_limit", "bands", "note")
ITEM_FIELDS = ("metric", "weight", "target_source", "target", "cap")


def scheme_is_used(scheme: KpiScheme) -> bool:
    """Whether any scorecard was scored with this version (then it is frozen for good)."""
    return Scorecard.objects.filter(scheme=scheme).exists()


def scheme_can_edit(scheme: KpiScheme) -> bool:
    return scheme.status == KpiScheme.Status.DRAFT and not scheme_is_used(scheme)


def scheme_can_delete(scheme: KpiScheme) -> bool:
    return scheme.status != KpiScheme.Status.ACTIVE and not scheme_is_used(scheme)


def _write_items(scheme: KpiScheme, items: Iterable[Mapping[str, Any]]) -> None:
    """Replace the scheme's items (a draft's, never used by a scorecard)."""
    scheme.items.all().delete()
    for order, data in enumerate(items):
        item = KpiSchemeItem(
            scheme=scheme, sort_order=order, **{k: data.get(k) for k in ITEM_FIELDS}
        )
        if item.cap is None:
            item.cap = DEFAULT_CAP
        if item.target_source == KpiSchemeItem.TargetSource.PLAN:
            item.target = None
        item.full_clean()
        item.save()


@transaction.atomic
def scheme_create(
    *, code: str, items: Iterable[Mapping[str, Any]], by: User | None = None, **fields: Any
) -> KpiScheme:
    """A new scheme: version 1 of `code`, as a draft (activate it to use it)."""
    if KpiScheme.objects.filter(code=code).exists():
        raise ValidationError({"code": _("A scheme with this code exists: make a new version.")})
    scheme = KpiScheme(code=code, version=1, created_by=by, **fields)
    scheme.full_clean()
    scheme.save()
    _write_items(scheme, items)
    return scheme


@transaction.atomic
def scheme_update(
    *, scheme: KpiScheme, items: Iterable[Mapping[str, Any]], by: User | None = None, **fields
) -> KpiScheme:
    """Change a draft and its items. Active, retired and scored versions never change."""
    scheme = KpiScheme.objects.select_for_update().get(pk=scheme.pk)
    if not scheme_can_edit(scheme):
        raise ValidationError(_("Only a draft can be changed: make a new version instead."))
    for name, value in fields.items():
        if name in SCHEME_FIELDS:
            setattr(scheme, name, value)
    scheme.full_clean()
    scheme.save()
    _write_items(scheme, items)
    return scheme


@transaction.atomic
def scheme_new_version(*, scheme: KpiScheme, by: User | None = None) -> KpiScheme:
    """Copy a version with its items into a new draft of the same code (next version number).
    A code has at most one draft: asking again returns the draft that exists."""
    # Locking the versions of the code serialises two admins asking at once.
    versions = list(KpiScheme.objects.select_for_update().filter(code=scheme.code))
    draft = next((v for v in versions if v.status == KpiScheme.Status.DRAFT), None)
    if draft is not None:
        return draft
    latest = max(v.version for v in versions)
    copy = KpiScheme.objects.create(
        code=scheme.code,
        version=latest + 1,
        created_by=by,
        status=KpiScheme.Status.DRAFT,
        **{name: getattr(scheme, name) for name in SCHEME_FIELDS},
    )
    KpiSchemeItem.objects.bulk_create(
        KpiSchemeItem(
            scheme=copy,
            sort_order=item.sort_order,
            **{name: getattr(item, name) for name in ITEM_FIELDS},
        )
        for item in scheme.items.all()
    )
    return copy


@transaction.atomic
def scheme_activate(*, scheme: KpiScheme, by: User | None = None) -> KpiScheme:
    """Make a draft the active scheme of its position; the version active before is retired in
    the same transaction (the position's schemes are locked, so two activations serialise)."""
    locked = list(
        KpiScheme.objects.select_for_update().filter(position_id=scheme.position_id).order_by("pk")
    )
    scheme = next(s for s in locked if s.pk == scheme.pk)
    if scheme.status != KpiScheme.Status.DRAFT:
        raise ValidationError(_("Only a draft can be activated."))
    if not scheme.items.exists():
        raise ValidationError(_("A scheme needs at least one item."))
    for other in locked:
        if other.status == KpiScheme.Status.ACTIVE:
            other.status = KpiScheme.Status.RETIRED
            other.save(update_fields=["status"])
    scheme.status = KpiScheme.Status.ACTIVE
    scheme.activated_at = timezone.now()
    scheme.save(update_fields=["status", "activated_at"])
    return scheme


@transaction.atomic
def scheme_delete(*, scheme: KpiScheme) -> None:
    scheme = KpiScheme.objects.select_for_update().get(pk=scheme.pk)
    if not scheme_can_delete(scheme):
        raise ValidationError(_("An active version or one used by a scorecard cannot be deleted."))
    scheme.delete()


def previous_version(scheme: KpiScheme) -> KpiScheme | None:
    return (
        KpiScheme.objects.filter(code=scheme.code, version__lt=scheme.version)
        .order_by("-version")
        .first()
    )


@dataclass
class SchemeDiff:
    previous: KpiScheme | None
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)  # (label, before, after)
    added: list[KpiSchemeItem] = field(default_factory=list)
    removed: list[KpiSchemeItem] = field(default_factory=list)
    # (item now, [(label, before, after)])
    changed: list[tuple[KpiSchemeItem, list[tuple[str, Any, Any]]]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.fields or self.added or self.removed or self.changed)


def _norm(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, dict):
        return {k: str(Decimal(str(v)).normalize()) for k, v in value.items()}
    return value


def bands_sorted(bands: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The bands best first (a JSON column on PostgreSQL does not keep the keys' order)."""
    return sorted(
        ((letter, str(lowest)) for letter, lowest in bands.items()),
        key=lambda band: Decimal(band[1]),
        reverse=True,
    )


def _bands_text(bands: Mapping[str, Any]) -> str:
    return ", ".join(f"{letter} ≥ {lowest}" for letter, lowest in bands_sorted(bands))


def scheme_diff(scheme: KpiScheme) -> SchemeDiff:
    """What changed from the previous version: scheme settings, items added, removed, changed."""
    before = previous_version(scheme)
    diff = SchemeDiff(previous=before)
    if before is None:
        return diff
    meta = KpiScheme._meta
    for name in ("name", "uses_team_figures", "adjustment_limit", "bands"):
        old, new = getattr(before, name), getattr(scheme, name)
        if _norm(old) != _norm(new):
            if name == "bands":
                old, new = _bands_text(old), _bands_text(new)
            diff.fields.append((meta.get_field(name).verbose_name, old, new))
    old_items = {i.metric: i for i in before.items.all()}
    new_items = {i.metric: i for i in scheme.items.all()}
    item_meta = KpiSchemeItem._meta
    for metric, item in new_items.items():
        old = old_items.get(metric)
        if old is None:
            diff.added.append(item)
            continue
        changes = [
            (item_meta.get_field(name).verbose_name, getattr(old, name), getattr(item, name))
            for name in ("weight", "target_source", "target", "cap")
            if _norm(getattr(old, name)) != _norm(getattr(item, name))
        ]
        if changes:
            diff.changed.append((item, changes))
    diff.removed = [item for metric, item in old_items.items() if metric not in new_items]
    return diff


# The schemes a new company starts from (KPIS.md's worked example for reps; managers are scored
# on their teams' figures). Targets of rates are fractions: 1.0 = 100 %.
DEFAULT_SCHEMES = (
    {
        "code": "sales-rep",
        "name": "销售代表考核 Sales rep",
        "position": Position.Kind.SALES_REP,
        "uses_team_figures": False,
        "items": (
            ("plan_completion", "40", "fixed", "1.0"),
            ("collection", "30", "fixed", "0.9"),
            ("retention", "20", "fixed", "0.8"),
            ("complaint_rate", "10", "fixed", "0.05"),
        ),
    },
    {
        "code": "regional-manager",
        "name": "区域经理考核 Regional manager",
        "position": Position.Kind.REGIONAL_MANAGER,
        "uses_team_figures": True,
        "items": (
            ("plan_completion", "35", "fixed", "1.0"),
            ("sales_growth", "15", "fixed", "0.1"),
            ("collection", "20", "fixed", "0.9"),
            ("retention", "15", "fixed", "0.8"),
            ("complaint_rate", "10", "fixed", "0.05"),
            ("info_completeness", "5", "fixed", "0.9"),
        ),
    },
)


@transaction.atomic
def ensure_default_schemes(*, by: User | None = None) -> list[KpiScheme]:
    """Create and activate the default schemes of positions that have no scheme yet.
    Idempotent: a position with any scheme (even a draft) is left alone."""
    created = []
    for spec in DEFAULT_SCHEMES:
        position, _created = Position.objects.get_or_create(kind=spec["position"])
        if KpiScheme.objects.filter(position=position).exists():
            continue
        if KpiScheme.objects.filter(code=spec["code"]).exists():
            continue
        scheme = KpiScheme.objects.create(
            code=spec["code"],
            version=1,
            name=spec["name"],
            position=position,
            uses_team_figures=spec["uses_team_figures"],
            bands=default_bands(),
            created_by=by,
        )
        for order, (metric, weight, source, target) in enumerate(spec["items"]):
            KpiSchemeItem.objects.create(
                scheme=scheme,
                metric=metric,
                weight=Decimal(weight),
                target_source=source,
                target=Decimal(target) if source == "fixed" else None,
                sort_order=order,
            )
        created.append(scheme_activate(scheme=scheme, by=by))
    return created
