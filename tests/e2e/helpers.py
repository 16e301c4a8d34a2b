"""Helpers of the browser journeys: the text a user sees in their language, and a real mouse drag
(SortableJS, in fallback mode, listens to mouse events: a synthetic HTML5 drag does nothing)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext, pgettext

LANGUAGES = ["en", "zh-hans"]
PHONE = {"width": 390, "height": 844}


def tr(language: str, msgid: str, context: str | None = None, **params) -> str:
    """`msgid` as the user sees it in `language` (from the project's catalog), with %(name)s
    parameters filled in. In Chinese the text must really be translated: a journey asserting on
    an English fallback would not prove the Chinese page works."""
    with translation.override(language):
        text = pgettext(context, msgid) if context else gettext(msgid)
    if language.startswith("zh"):
        assert text != msgid, f"no Chinese translation of {msgid!r}"
    return text % params if params else text


def mouse_drag(page, source, target, *, steps: int = 12) -> None:
    """Press on `source`, move in steps onto `target` (locators), release."""
    source.scroll_into_view_if_needed()
    start = source.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    # A first small move starts the drag (SortableJS waits for the pointer to move).
    page.mouse.move(start["x"] + start["width"] / 2 + 5, start["y"] + start["height"] / 2 + 5)
    end = target.bounding_box()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 20, steps=steps)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=2)
    page.mouse.up()
