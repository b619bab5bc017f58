"""Stage 4, write (PDF): rendered HTML and stylesheet through WeasyPrint into PDF bytes — the one module that knows
WeasyPrint.

This module loads with the publisher, when the first publication is made, so that commands which
build nothing never import WeasyPrint. Its fetcher is locked down: `data:` URLs and files inside
the allowed folders (templates, the scratch folder's fonts) are read; every other URL — other
files, http, ftp, redirects — is refused, and each refused URL is kept so the build can name it.
Its log is captured, so a font it cannot load or a resource it skips becomes a message, not silence.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..errors import Problem, SetupError, Where
from ..render.documents import RenderedPdf
from . import lines

try:
    import weasyprint
    from weasyprint.text import ffi as text_ffi
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse
except OSError as error:  # a missing Pango or HarfBuzz library
    raise SetupError(
        Problem(
            Where("weasyprint"),
            "",
            f"the PDF engine cannot start: {error}; "
            "install Pango (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)",
        )
    ) from None

# How the fetcher words a refusal; the engine logs it, and the build names the URL instead.
REFUSED = "gongwen does not fetch"

FONT_CONFIGURATION_DOCUMENTS = 64
"""How many documents share one font configuration before it is renewed (see `PdfEngine._fonts`)."""


@dataclass
class LaidOut:
    """A laid-out document, its page count, what the engine logged and the URLs it was refused."""

    document: weasyprint.Document | None
    pages: int
    messages: list[str]
    refused: list[str] = field(default_factory=list)
    anchors: dict[str, int] = field(default_factory=dict)  # the page (from 1) of each element with an id

    def overflow_characters(self) -> int:
        """How many characters were laid out beyond the first page."""
        assert self.document is not None, "counted before the document is written"
        count = 0
        for page in self.document.pages[1:]:
            stack: list[Any] = [page._page_box]
            while stack:
                box = stack.pop()
                text = getattr(box, "text", None)
                if isinstance(text, str):
                    count += len(text.strip())
                stack.extend(getattr(box, "children", ()))
        return count


class _LogCapture(logging.Handler):
    """Collects WeasyPrint's warnings and errors while a document is made."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _captured(logger: logging.Logger) -> Iterator[_LogCapture]:
    capture = _LogCapture()
    logger.addHandler(capture)
    propagate = logger.propagate
    logger.propagate = False
    try:
        yield capture
    finally:
        logger.removeHandler(capture)
        logger.propagate = propagate


class LockedFetcher(URLFetcher):
    """Reads data: URLs and files inside the allowed folders; refuses everything else, remembering each refused URL."""

    def __init__(self, roots: tuple[Path, ...]) -> None:
        super().__init__(timeout=1, allowed_protocols=("data", "file"), allow_redirects=False)
        self.roots = roots
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlparse(url).path))
            if _allowed(path, self.roots) and path.is_file():
                return URLFetcherResponse(url, path.read_bytes())
        self.refused.append(url)
        raise ValueError(f"{REFUSED} {url[:80]}")


def _allowed(path: Path, roots: tuple[Path, ...]) -> bool:
    real = path.resolve()
    return any(real == root or root in real.parents for root in roots)


class _ArrayTypeReuse:
    """A stand-in for cffi's `ffi.new` that asks for `T[N]` with an initialiser of length N as `T[]`."""

    _SIZED = re.compile(r"^(.*)\[(\d+)\]$")

    def __init__(self, original: Callable[[Any, Any], Any]) -> None:
        self.original = original

    def __call__(self, cdecl: Any, init: Any = None) -> Any:  # cffi's C type (or its string) and a Python value
        if isinstance(cdecl, str) and init is not None and hasattr(init, "__len__"):
            match = self._SIZED.match(cdecl)
            if match and int(match.group(2)) == len(init):
                return self.original(match.group(1) + "[]", init)
        return self.original(cdecl, init)


def _reuse_array_types(ffi: Any) -> None:  # a cffi.FFI: cffi ships no types
    """WeasyPrint asks cffi for `hb_codepoint_t[N]` with a new N for every font of every document,
    and cffi parses each new type string with its C parser (~10 ms each, several per document).
    The same array made as `hb_codepoint_t[]` from its initialiser is the same array, and reuses
    one parsed type."""
    if isinstance(ffi.new, _ArrayTypeReuse):
        return
    ffi.new = _ArrayTypeReuse(ffi.new)


class PdfEngine:
    """One WeasyPrint set-up, reused for every document a process makes."""

    def __init__(self, allowed_roots: tuple[Path, ...]):
        if getattr(text_ffi, "harfbuzz_subset", None) is None:
            raise SetupError(
                Problem(
                    Where("weasyprint"),
                    "",
                    "HarfBuzz's subsetter is missing, so fonts would be subset "
                    "ten times slower and not reproducibly; install libharfbuzz-subset0",
                )
            )
        _reuse_array_types(text_ffi.ffi)
        lines.install()
        self.fetcher = LockedFetcher(tuple(root.resolve() for root in allowed_roots))
        self._font_config: FontConfiguration | None = None
        self._documents = 0
        self._logger = logging.getLogger("weasyprint")
        self._lines_stylesheet = weasyprint.CSS(string=lines.STYLESHEET)

    def _fonts(self) -> FontConfiguration:
        """One font configuration for many documents: a new one per document costs ~0.25 MiB that is
        never given back (0.8 MiB a publication over a batch). It is renewed now and then, since it
        keeps a copy of every font it was given."""
        if self._font_config is None or self._documents % FONT_CONFIGURATION_DOCUMENTS == 0:
            self._font_config = FontConfiguration()
        self._documents += 1
        return self._font_config

    def layout(self, rendered: RenderedPdf, base_url: Path) -> LaidOut:
        """Lay out pages, keeping the messages the engine logged."""
        self.fetcher.refused.clear()
        font_config = self._fonts()
        with _captured(self._logger) as capture:
            stylesheet = weasyprint.CSS(
                string=rendered.stylesheet,
                font_config=font_config,
                url_fetcher=self.fetcher,
                base_url=base_url.as_uri() + "/",
            )
            html = weasyprint.HTML(string=rendered.html, base_url=base_url.as_uri() + "/", url_fetcher=self.fetcher)
            document = html.render(stylesheets=[stylesheet, self._lines_stylesheet], font_config=font_config)
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages, start=1):
            for name in page.anchors:
                anchors.setdefault(name, number)
        return LaidOut(document, len(document.pages), capture.messages, anchors=anchors)

    def write(self, laid_out: LaidOut, variant: str | None = None) -> bytes:
        """The PDF's bytes; refused URLs (attachments are fetched only now) are kept apart from other messages."""
        assert laid_out.document is not None, "a laid-out document is written once"
        with _captured(self._logger) as capture:
            data: bytes = laid_out.document.write_pdf(pdf_variant=variant)
        laid_out.messages.extend(capture.messages)
        self.settle(laid_out)
        return data

    def settle(self, laid_out: LaidOut) -> None:
        """Done with a laid-out document (written, or read by another writer): refused URLs kept apart from
        the other messages, the document let go."""
        laid_out.refused = list(dict.fromkeys(self.fetcher.refused))
        laid_out.messages = [message for message in laid_out.messages if REFUSED not in message]
        laid_out.document = None
