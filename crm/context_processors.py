"""Template context shared by every page: the top navigation."""

from __future__ import annotations

from functools import cache

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# The top navigation, in order: (URL name, label, Bootstrap icon). An app's entry shows once the
# app has landed its list page (the URL name resolves); add one line here with the app's issue.
NAV_ITEMS = [
    ("home", _("Home"), "house"),
    ("customers:customer-list", _("Customers"), "building"),
    ("leads:lead-list", _("Leads"), "funnel"),
    ("opportunities:opportunity-list", _("Opportunities"), "kanban"),
    ("orders:order-list", _("Orders"), "receipt"),
    ("service:ticket-list", _("Service"), "headset"),
    ("performance:home", _("Performance"), "graph-up"),
]
# The directory (People, Organisation) and, for administrators, the audit and the admin site sit
# in the user menu (templates/base.html): the top bar keeps the daily work and fits a 1280-pixel
# screen in both languages.


@cache
def _resolved_nav() -> tuple[tuple[str, str, object, str], ...]:
    items = []
    for name, label, icon in NAV_ITEMS:
        try:
            items.append((name, reverse(name), label, icon))
        except NoReverseMatch:
            continue
    return tuple(items)


def navigation(request: HttpRequest) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    current = getattr(request.resolver_match, "url_name", None)
    namespace = getattr(request.resolver_match, "namespace", "")
    current_name = f"{namespace}:{current}" if namespace else current
    nav = [
        {
            "url": url,
            "label": label,
            "icon": icon,
            # An app's tab stays active on all its pages (same namespace).
            "active": name == current_name or (":" in name and name.split(":")[0] == namespace),
        }
        for name, url, label, icon in _resolved_nav()
    ]
    from crm.models import is_administrator

    return {"nav_items": nav, "nav_audit": is_administrator(request.user)}
