"""The Chinese catalogue is complete and its compiled .mo matches the .po (both committed), so
the product is fully Chinese even on a machine without gettext."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES"


def _po_entries(path: Path) -> dict[str, str]:
    """key -> msgstr (first plural form) of the non-obsolete, non-fuzzy entries of a .po file.
    The key is the msgid, or "context\x04msgid" for a pgettext entry (as in the .mo)."""
    entries: dict[str, str] = {}
    fields: dict[str, str] = {}
    current = None
    fuzzy = False

    def flush():
        if "msgid" in fields and fields["msgid"] and not fuzzy:
            key = fields["msgid"]
            if "msgctxt" in fields:
                key = f"{fields['msgctxt']}\x04{key}"
            entries[key] = fields.get("msgstr", fields.get("msgstr[0]", ""))

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            flush()
            fields, current, fuzzy = {}, None, False
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            fields[current] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            current = key
            fields[key] = ast.literal_eval(value)
    return entries


def test_every_string_is_translated_and_compiled():
    entries = _po_entries(LOCALE / "django.po")
    assert len(entries) > 50
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert untranslated == []
    with (LOCALE / "django.mo").open("rb") as fp:
        catalogue = gettext.GNUTranslations(fp)
    catalog = catalogue._catalog  # msgid -> msgstr; (msgid, n) -> plural form n

    def compiled(msgid: str) -> str | None:
        return catalog.get(msgid, catalog.get((msgid, 0)))

    stale = [msgid for msgid, msgstr in entries.items() if compiled(msgid) != msgstr]
    assert stale == [], "run `make messages` (compilemessages) and commit the .mo"
