"""Preview stage, the session: a warm publisher that re-makes, in memory, what a save changed, and the views
the page shows.

One thread (`run`) looks at the inputs every 0.05 s — each content file and its `_defaults.yaml`,
the configuration file, the template folders and the reference document — and re-makes the
publications whose page has been opened. The notice is made first, then the briefing, then the
summary, and the page is told after each, so a change shows as soon as its own artifact is ready.
The publisher keeps each PDF with the digest of the document it came from (`keep_last`): an
artifact the edit did not touch comes back without being laid out, and its pages are not drawn
again. A problem leaves the last good pages in place and is shown as the lines the command line
prints. Nothing is written unless `write` is set; then `pipeline.build.build`, the output folder's
only writer, writes what changed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..artifacts import BRIEFING, NOTICE, SUMMARY, ArtifactType
from ..build import build, discover
from ..config import Configuration
from ..content import DEFAULTS_FILE
from ..content.model import Publication, load_publication
from ..errors import GongwenError, shown_path
from ..lazy import lazy_import
from ..word.fonts import WORD_FONT_NAMES
from .watch import POLL_SECONDS, FileWatch

if TYPE_CHECKING:
    from .. import publisher as publishing
    from . import raster, summary
else:
    # The engines (WeasyPrint, pdfium) load with the first render, after the server is listening.
    publishing = lazy_import("pipeline.publisher")
    raster = lazy_import("pipeline.preview.raster")
    summary = lazy_import("pipeline.preview.summary")

ARTIFACT_ORDER = (NOTICE, BRIEFING, SUMMARY)
"""The notice first (0.1 s), so an edit of it shows before the briefing is looked at; then the briefing, the
dearest (0.3–0.5 s), so that nothing else delays it; the summary (20 ms) last."""

DISCOVER_SECONDS = 1.0
"""How often content folders are searched again for new files (each search walks the folder)."""

CONTENT_TYPES = {
    ".png": "image/png",
    ".css": "text/css; charset=utf-8",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class View:
    """What the page of one publication shows at one version; sent to the browser as JSON."""

    key: str
    version: int
    source: str  # the content file, as messages name it
    title: str
    state: str  # waiting | rendering | ok | error
    problems: tuple[str, ...] = ()  # the command line's lines, `path:line:column: field: message`
    pending: tuple[str, ...] = ()  # artifacts being made
    stale: tuple[str, ...] = ()  # artifacts shown as they were before the problems
    pages: dict[str, tuple[str, ...]] = field(default_factory=dict)  # PDF name → its page images' names
    summary: str = ""  # the summary as HTML
    summary_css: str = ""  # name of its stylesheet
    files: tuple[str, ...] = ()  # artifacts that can be downloaded
    notes: tuple[str, ...] = ()  # what --write wrote

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))


@dataclass
class _Entry:
    """One content file: its last good artifacts, the blobs its views name, and whether its page is open."""

    key: str
    path: Path
    view: View
    wanted: bool = False
    dirty: bool = True
    made: dict[str, bytes] = field(default_factory=dict)  # artifact name → last good bytes
    pages: dict[str, tuple[str, ...]] = field(default_factory=dict)
    drawn: dict[str, str] = field(default_factory=dict)  # PDF name → digest of the bytes its pages were drawn from
    blobs: dict[str, bytes] = field(default_factory=dict)  # name → bytes, for the current and the previous view
    summary: str = ""
    summary_css: str = ""


def _heap_trimmer() -> Callable[[int], int] | None:
    """glibc's malloc_trim, where there is one (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    library = ctypes.util.find_library("c")
    trim: Callable[[int], int] | None = getattr(ctypes.CDLL(library), "malloc_trim", None) if library else None
    return trim


_MALLOC_TRIM = _heap_trimmer()


def give_back_memory() -> None:
    """Return the memory freed after a make to the system. What WeasyPrint frees after a document stays in
    glibc's heaps, fragmented: over 120 edits a preview's resident memory grew by 17 MiB without this, by
    11 MiB with it."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _blob_name(data: bytes, suffix: str) -> str:
    return hashlib.sha256(data).hexdigest()[:20] + suffix


class Preview:
    """The publications under `paths`, made on demand and re-made as their inputs change.

    `configure` loads the configuration; it is called again when the configuration file changes.
    """

    def __init__(self, paths: list[Path], configure: Callable[[], Configuration], *, write: bool = False) -> None:
        self._configure = configure
        self.configuration = configure()
        self._paths = paths or self.configuration.content_paths()
        self.write = write
        self._lock = threading.Condition()
        self._entries: dict[str, _Entry] = {}
        self._keys: dict[Path, str] = {}
        self._publisher: publishing.Publisher | None = None
        self._problems: tuple[str, ...] = ()  # of the configuration, fonts or templates: every page shows them
        self._watch = FileWatch()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._add(discover(self._paths))  # a path that does not exist stops the command here
        self._discovered = time.monotonic()
        self._watch.look(self._watched())
        if self._entries:
            next(iter(self._entries.values())).wanted = True  # warms the engine before the first page asks

    # What the server asks.

    def publications(self) -> list[View]:
        with self._lock:
            return [entry.view for entry in self._entries.values()]

    def view(self, key: str) -> View | None:
        """The publication's current view; asking for it opens it (it is made, then kept up to date)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if not entry.wanted:
                entry.wanted = True
                self._wake.set()
            return entry.view

    def wait(self, key: str, after: int, timeout: float) -> View | None:
        """The publication's view once its version is past `after`, or the current one after `timeout` seconds."""
        with self._lock:
            self._lock.wait_for(
                lambda: self._stop.is_set() or key not in self._entries or self._entries[key].view.version > after,
                timeout,
            )
            entry = self._entries.get(key)
            return entry.view if entry is not None else None

    def blob(self, key: str, name: str) -> tuple[bytes, str] | None:
        """A page image, the summary's stylesheet or a made artifact, with its content type."""
        with self._lock:
            entry = self._entries.get(key)
            data = entry.blobs.get(name) if entry is not None else None
        if data is None:
            return None
        return data, CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            self._lock.notify_all()

    # The loop.

    def run(self) -> None:
        """Watch and make until `stop`."""
        while not self._stop.is_set():
            if time.monotonic() - self._discovered >= DISCOVER_SECONDS:
                self._discover()
                self._discovered = time.monotonic()
            self._apply(self._watch.look(self._watched()))
            for entry in self._due():
                if self._stop.is_set():
                    break
                self._make(entry)
                give_back_memory()
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def _due(self) -> list[_Entry]:
        with self._lock:
            return [entry for entry in self._entries.values() if entry.wanted and entry.dirty]

    def _discover(self) -> None:
        try:
            self._add(discover(self._paths))
        except GongwenError:
            return  # a folder or file that went away: its page says so when it is made

    def _add(self, files: list[Path]) -> None:
        with self._lock:
            for path in files:
                if path in self._keys:
                    continue
                key, number = path.stem, 1
                while key in self._entries:
                    number += 1
                    key = f"{path.stem}-{number}"
                self._keys[path] = key
                self._entries[key] = _Entry(key, path, View(key, 0, shown_path(path), path.stem, "waiting"))

    def _watched(self) -> list[Path]:
        return [*self._keys, *{path.parent / DEFAULTS_FILE for path in self._keys}, *self._shared_inputs()]

    def _shared_inputs(self) -> list[Path]:
        """The configuration file, the template folders and the reference document."""
        configuration = self.configuration
        inputs = [configuration.file] if configuration.file is not None else []
        try:
            inputs += configuration.template_folders()
            inputs.append(configuration.reference_document())
        except GongwenError:
            pass  # a missing folder or file is a problem the next make reports
        return inputs

    def _apply(self, changed: set[Path]) -> None:
        """Mark what the changed files feed as due; a new configuration or new templates need a new publisher."""
        if not changed:
            return
        configuration_file = self.configuration.file
        shared = set(self._shared_inputs())
        everything = configuration_file is not None and configuration_file in changed
        if everything:
            try:
                self.configuration = self._configure()
                self._problems = ()
            except GongwenError as error:
                self._problems = tuple(error.lines)
        if everything or any(path in shared or any(folder in path.parents for folder in shared) for path in changed):
            self._publisher = None
            everything = True
        with self._lock:
            for entry in self._entries.values():
                if everything or entry.path in changed or entry.path.parent / DEFAULTS_FILE in changed:
                    entry.dirty = True

    # Making one publication.

    def _make(self, entry: _Entry) -> None:
        with self._lock:
            entry.dirty = False
        names = tuple(artifact.name for artifact in ARTIFACT_ORDER)
        self._publish(entry, pending=names)
        if self._problems:  # the configuration's: every page shows them (see _publish) until it is fixed
            self._publish(entry, stale=tuple(entry.made))
            return
        try:
            publication = load_publication(entry.path, shown_path(entry.path))
            if self._publisher is None:
                self._publisher = publishing.Publisher(self.configuration, keep_last=True)
        except GongwenError as error:
            self._publish(entry, problems=tuple(error.lines), stale=tuple(entry.made))
            return
        problems: list[str] = []
        failed: list[str] = []
        for position, artifact in enumerate(ARTIFACT_ORDER):
            try:
                (made,) = self._publisher.artifacts(publication, (artifact,))
                self._show(entry, artifact, made.data, self._publisher, publication)
            except GongwenError as error:
                problems.extend(error.lines)
                failed.append(artifact.name)
            self._publish(
                entry,
                title=publication.title,
                pending=names[position + 1 :],
                problems=tuple(problems),
                stale=tuple(name for name in failed if name in entry.made),
            )
        if self.write and not problems:
            self._write(entry, publication.title)

    def _show(
        self, entry: _Entry, artifact: ArtifactType, data: bytes, maker: publishing.Publisher, publication: Publication
    ) -> None:
        """Turn a made artifact into what the page shows: page images for a PDF, styled HTML for the summary.
        The work is done outside the lock; what the server reads is changed under it."""
        if artifact is SUMMARY:
            view = summary.summary_view(data, maker.summary_blocks(publication), self._stand_ins(maker))
            css = view.css.encode("utf-8")
            with self._lock:
                entry.made[artifact.name] = data
                entry.summary = view.html
                entry.summary_css = _blob_name(css, ".css")
                entry.blobs[entry.summary_css] = css
            return
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            entry.made[artifact.name] = data
            if entry.drawn.get(artifact.name) == digest:
                return  # the same PDF: the same pages
            shown = entry.pages.get(artifact.name, ())
            drawn_before = {name: entry.blobs[name] for name in shown if name in entry.blobs}
        images = raster.page_images(data, drawn_before)
        with self._lock:
            entry.blobs.update((image.name, image.png) for image in images)
            entry.pages[artifact.name] = tuple(image.name for image in images)
            entry.drawn[artifact.name] = digest

    def _stand_ins(self, maker: publishing.Publisher) -> dict[str, str]:
        """Word face name → the PostScript name of the PDF's face for the same role, shown where the Word face is
        not installed."""
        names = {**WORD_FONT_NAMES, **self.configuration.settings.word_fonts.as_dict()}
        return {names[role]: face.postscript for role, face in maker.faces.items() if role in names}

    def _write(self, entry: _Entry, title: str) -> None:
        """--write: what changed goes into the output folder, through the build."""
        report = build([entry.path], self.configuration, jobs=1)
        if report.problems:
            self._publish(entry, title=title, problems=tuple(str(problem) for problem in report.problems))
            return
        output = shown_path(self.configuration.output_folder())
        notes = tuple(f"wrote {output}/{identifier}/" for identifier in report.built) or (f"{output}/ is up to date",)
        self._publish(entry, title=title, notes=notes)

    def _publish(
        self,
        entry: _Entry,
        *,
        title: str | None = None,
        pending: tuple[str, ...] = (),
        problems: tuple[str, ...] = (),
        stale: tuple[str, ...] = (),
        notes: tuple[str, ...] = (),
    ) -> None:
        """A new version of the entry's view; blobs it no longer names (nor the view before it) are let go."""
        with self._lock:
            previous = entry.view
            problems = tuple(dict.fromkeys(self._problems + problems))
            state = "rendering" if pending else "error" if problems else "ok"
            files = tuple(artifact.name for artifact in (BRIEFING, SUMMARY, NOTICE) if artifact.name in entry.made)
            for name in files:
                entry.blobs[name] = entry.made[name]
            entry.view = View(
                key=entry.key,
                version=previous.version + 1,
                source=previous.source,
                title=title or previous.title,
                state=state,
                problems=problems,
                pending=pending,
                stale=stale,
                pages=dict(entry.pages),
                summary=entry.summary,
                summary_css=entry.summary_css,
                files=files,
                notes=notes,
            )
            named = set(_names(previous)) | set(_names(entry.view))
            entry.blobs = {name: data for name, data in entry.blobs.items() if name in named}
            self._lock.notify_all()


def _names(view: View) -> Iterator[str]:
    for pages in view.pages.values():
        yield from pages
    if view.summary_css:
        yield view.summary_css
    yield from view.files
