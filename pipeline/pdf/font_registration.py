"""Stage 4, write (PDF engine adapter): a document's faces registered with fontconfig together, and Pango told once.

WeasyPrint registers each `@font-face` as its stylesheet is parsed (`FontConfiguration.add_font_face`) and
tells Pango's font map after each one that fontconfig changed: Pango then drops every font, font set and family
it had found and lists the installed families again. A document declares three cut faces, so that was done
three times where once, after the last, gives Pango the same fonts: 4.3 → 2.7 ms a publication. Inside
`registered_together`, the engine's font module notes the change instead, and the font map is told on the way
out, before anything is laid out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from weasyprint.text import fonts as text_fonts


class _PangoFt2ForTheFontConfiguration:
    """pangoft2 as WeasyPrint's font module sees it: every function its own, but the news that fontconfig changed,
    which waits while faces are being registered together."""

    def __init__(self, pangoft2: Any) -> None:  # the cffi library: cffi ships no types
        self._pangoft2 = pangoft2
        self.waiting: dict[int, Any] | None = None  # font maps still to be told, by address; None: tell at once

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pangoft2, name)

    def pango_fc_font_map_config_changed(self, font_map: Any) -> None:
        if self.waiting is None:
            self._pangoft2.pango_fc_font_map_config_changed(font_map)
        else:
            self.waiting[int(text_fonts.ffi.cast("uintptr_t", font_map))] = font_map

    @contextlib.contextmanager
    def together(self) -> Iterator[None]:
        if self.waiting is not None:  # already inside: the outer one tells
            yield
            return
        self.waiting = {}
        try:
            yield
        finally:
            waiting, self.waiting = self.waiting, None
            for font_map in waiting.values():
                self._pangoft2.pango_fc_font_map_config_changed(font_map)


def install() -> None:
    """WeasyPrint's font module tells Pango of registered faces through `registered_together` (idempotent)."""
    if not isinstance(text_fonts.pangoft2, _PangoFt2ForTheFontConfiguration):
        text_fonts.pangoft2 = _PangoFt2ForTheFontConfiguration(text_fonts.pangoft2)


@contextlib.contextmanager
def registered_together() -> Iterator[None]:
    """Faces registered inside (a stylesheet's `@font-face` rules parsed) reach Pango's font map at the end, at
    once."""
    pangoft2 = text_fonts.pangoft2
    if not isinstance(pangoft2, _PangoFt2ForTheFontConfiguration):
        yield
        return
    with pangoft2.together():
        yield
