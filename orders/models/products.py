"""The product catalogue."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ProductQuerySet(models.QuerySet):
    def active(self) -> ProductQuerySet:
        return self.filter(active=True)


class Product(models.Model):
    """A catalogue entry. Its list price is copied onto each order line when ordered, so a later
    price change never rewrites history."""

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    unit = models.CharField(_("unit"), max_length=20, default="", blank=True)
    list_price = models.DecimalField(_("list price"), max_digits=14, decimal_places=2)
    active = models.BooleanField(_("active"), default=True, db_index=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = ProductQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        indexes = [models.Index(Upper("sku"), name="product_sku_upper")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"
