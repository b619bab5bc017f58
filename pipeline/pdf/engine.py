"""Stage 4, write (PDF): rendered HTML and stylesheet through WeasyPrint into PDF bytes — with the modules beside it
(`lines`, `boxes`, `font_extents`, `font_registration`, `libraries`), the only code that knows WeasyPrint.

This module loads with the publisher, when the first publication is made, so that commands which
build nothing never import WeasyPrint. Its fetcher is locked down: `data:` URLs and files inside
the allowed folders (templates, the scratch folder's fonts) are read; every other URL — other
files, http, ftp, redirects — is refused, and each refused URL is kept so the build can name it.
Its log is captured, so a font it cannot load or a resource it skips becomes a message, not silence.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..errors import Problem, SetupError, Where
from ..render.documents import RenderedPdf
from . import libraries


def _load_libraries() -> None:
    """WeasyPrint imported, its system libraries found from one reading of the loader's cache (`libraries`); an
    import that fails that way is made again with the platform's own search."""
    with libraries.found_from_one_listing() as listed:
        try:
            importlib.import_module("weasyprint.text.ffi")
            return
        except OSError:
            if not listed:
                raise
            libraries.forget_modules("weasyprint")
    importlib.import_module("weasyprint.text.ffi")


try:
    _load_libraries()
    import cssselect2
    import tinycss2
    import weasyprint
    from weasyprint.text import ffi as text_ffi
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    from . import font_extents, font_registration, lines
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

PARSED_STYLESHEETS = 16
"""How many template stylesheets a process keeps parsed: one per configuration and kind of document in a build
(grid, one- or two-sided, 版记 placement, 报头); more only while a preview's template is being edited."""

# At-rules whose parsing does more than add rules (loads fonts or stylesheets, defines counters or colours) or
# depends on the medium: a stylesheet holding one is parsed for each document, as it always was.
_PARSED_EACH_TIME = ("import", "font-face", "counter-style", "color-profile", "media", "layer", "supports")


class _RecordingMatcher(cssselect2.Matcher):
    """A matcher that keeps every rule's declarations, so that a parsed stylesheet can be given each document's
    font families."""

    def __init__(self) -> None:
        super().__init__()
        self.payloads: list[Any] = []

    def add_selector(self, selector: Any, payload: Any) -> None:
        self.payloads.append(payload)
        super().add_selector(selector, payload)


@dataclass
class _ParsedStylesheet:
    """A template's stylesheet parsed once: the CSS object, where its font-family declarations name a
    placeholder (`slots`: the declaration list, the index in it, the family names as written), and what the engine
    logged while parsing it, which every document made with it reports."""

    css: weasyprint.CSS
    slots: list[tuple[list[Any], int, tuple[str, ...]]]
    messages: list[str]

    def name_families(self, families: Mapping[str, str]) -> None:
        """Put each document's families in place of the placeholders, in the parsed declarations themselves."""
        for declarations, index, written in self.slots:
            name, _, important = declarations[index]
            declarations[index] = (name, tuple(families.get(family, family) for family in written), important)


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
        font_extents.install()
        font_registration.install()
        self.fetcher = LockedFetcher(tuple(root.resolve() for root in allowed_roots))
        self._font_config: FontConfiguration | None = None
        self._documents = 0
        self._logger = logging.getLogger("weasyprint")
        self._lines_stylesheet = weasyprint.CSS(string=lines.STYLESHEET)
        self._parsed: dict[tuple[str, str], _ParsedStylesheet | None] = {}  # None: parsed for each document

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
        base = base_url.as_uri() + "/"
        with _captured(self._logger) as capture:
            parsed = self._parsed_stylesheet(rendered, base, capture.messages)
            if parsed is None:
                stylesheets = [self._css(rendered.resolved_stylesheet(), base, font_config)]
            else:
                parsed.name_families(rendered.families)
                stylesheets = [self._css(rendered.font_faces, base, font_config), parsed.css]
            html = weasyprint.HTML(string=rendered.html, base_url=base, url_fetcher=self.fetcher)
            document = html.render(stylesheets=[*stylesheets, self._lines_stylesheet], font_config=font_config)
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages, start=1):
            for name in page.anchors:
                anchors.setdefault(name, number)
        return LaidOut(document, len(document.pages), capture.messages, anchors=anchors)

    def _css(self, text: str, base: str, font_config: FontConfiguration | None) -> weasyprint.CSS:
        with font_registration.registered_together():
            return weasyprint.CSS(string=text, font_config=font_config, url_fetcher=self.fetcher, base_url=base)

    def _parsed_stylesheet(self, rendered: RenderedPdf, base: str, messages: list[str]) -> _ParsedStylesheet | None:
        """The template's stylesheet, parsed once per process and kept; None when it must be parsed for each
        document: it loads or defines something as it is parsed (`_PARSED_EACH_TIME`), it was refused a URL, or
        it names a family placeholder anywhere but in a font-family declaration. What the engine logged parsing
        it is added to `messages` (the document's) each time, once."""
        key = (rendered.stylesheet, base)
        if key in self._parsed:
            parsed = self._parsed.pop(key)  # kept as the most recently used
            self._parsed[key] = parsed
        else:
            before = len(messages)  # the layout's capture is listening: a first parse logs into it
            parsed = self._parse_once(rendered.stylesheet, base, set(rendered.families))
            logged = messages[before:]
            del messages[before:]
            if parsed is not None:
                parsed.messages = logged
            self._parsed[key] = parsed
        if parsed is not None:
            messages.extend(parsed.messages)
        while len(self._parsed) > PARSED_STYLESHEETS:
            del self._parsed[next(iter(self._parsed))]
        return parsed

    def _parse_once(self, text: str, base: str, placeholders: set[str]) -> _ParsedStylesheet | None:
        rules = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
        if any(rule.type == "at-rule" and rule.lower_at_keyword in _PARSED_EACH_TIME for rule in rules):
            return None
        refused = len(self.fetcher.refused)
        matcher = _RecordingMatcher()
        page_rules: list[Any] = []  # WeasyPrint's (rule, selectors, declarations) of each @page rule
        css = weasyprint.CSS(
            string=text, url_fetcher=self.fetcher, base_url=base, matcher=matcher, page_rules=page_rules
        )
        if len(self.fetcher.refused) != refused:
            del self.fetcher.refused[refused:]  # parsed again for the document, which is refused it again
            return None
        lists = {id(payload[0]): payload[0] for payload in matcher.payloads}
        lists.update({id(rule[2]): rule[2] for rule in page_rules})
        slots = [
            (declarations, index, tuple(value))
            for declarations in lists.values()
            for index, (name, value, _) in enumerate(declarations)
            if name == "font_family" and placeholders.intersection(value)
        ]
        named = sum(family in placeholders for _, _, written in slots for family in written)
        if named != sum(text.count(placeholder) for placeholder in placeholders):
            return None  # a placeholder elsewhere (a string, a comment, part of a name): replaced as text instead
        return _ParsedStylesheet(css, slots, [])

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
