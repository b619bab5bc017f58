"""`make bench`: gongwen's build times, memory and sizes against the targets of issue 6 and against Typst, side by
side in one run.

Every gongwen figure comes from the real command line in a fresh process (`gongwen build … -o DIR`),
with `$GONGWEN_CACHE_DIR` pointed at a folder of the benchmark's own; every Typst figure from the
`typst` package compiling `typst/briefing.typ` and `typst/notice.typ` on the same content. Figures
are medians over repeated runs; ratios to the peer are taken from runs made alternately, so that a
busy machine slows both sides alike. A failed build or an invalid artifact stops the benchmark with
exit status 1: a benchmark of a broken build is worthless. Benchmarks measure; they assert nothing
about speed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pypdf
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(ROOT / "tests")]

import peer  # noqa: E402
import preview  # noqa: E402
from measure import BenchmarkError, Timed, machine, run_timed  # noqa: E402
from pdfread import embedded_faces, page_count  # noqa: E402
from stress import stress_content  # noqa: E402
from table import Row, at_least, at_most, render  # noqa: E402

SEED = ROOT / "content" / "genertec-2015.yaml"
SEED_ID = SEED.stem
BRIEFING, NOTICE, SUMMARY = "briefing.pdf", "notice.pdf", "summary.docx"
GONGWEN = Path(sys.executable).with_name("gongwen")
RESULTS = HERE / "results" / "latest.json"
KB = 1000
NO_JOBS = "gongwen build has no --jobs yet"
NO_CACHE = "gongwen build has no --force yet: no incremental cache"


@dataclass(frozen=True)
class Settings:
    repeat: int  # runs of each small row (seed builds, Typst per document)
    batch_repeat: int  # runs of each batch row
    small: int  # publications in the small batch
    large: int  # publications in the large batch
    preview_edits: int = 7  # timed edits of each document in the live preview
    preview_memory_edits: int = 200  # edits in all, for the preview's memory


def parse(argv: list[str] | None) -> tuple[Settings, Path]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0].strip("`: "))
    parser.add_argument("--repeat", type=int, default=5, help="runs of each small row (default 5)")
    parser.add_argument("--batch-repeat", type=int, default=2, help="runs of each batch row (default 2)")
    parser.add_argument("--small", type=int, default=50, help="publications in the small batch (default 50)")
    parser.add_argument("--large", type=int, default=200, help="publications in the large batch (default 200)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: one run of each row, batches of 5 and 20")
    parser.add_argument(
        "--json",
        type=Path,
        default=RESULTS,
        help=f"where to write the table as JSON (default {RESULTS.relative_to(ROOT)})",
    )
    args = parser.parse_args(argv)
    if args.quick:
        return Settings(1, 1, 5, 20, preview_edits=1, preview_memory_edits=10), args.json
    if min(args.repeat, args.batch_repeat, args.small) < 1 or args.large <= args.small:
        parser.error("repeats and batch sizes must be positive, and --large larger than --small")
    return Settings(args.repeat, args.batch_repeat, args.small, args.large), args.json


def progress(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


def compile_bytecode() -> None:
    """Compile gongwen's modules once, as installing a package does: in a checkout with
    PYTHONDONTWRITEBYTECODE set, every fresh process would otherwise compile them from source."""
    import pipeline

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(pipeline.__file__).parent)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def build_options() -> set[str]:
    """The options this gongwen's `build` accepts, of those the benchmark uses."""
    shown = subprocess.run([str(GONGWEN), "build", "--help"], capture_output=True, text=True, check=True).stdout
    return {
        option
        for option in ("--jobs", "--force", "--format")
        if re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", shown)
    }


def digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def check_publication(folder: Path, engine: str = "gongwen") -> dict[str, int]:
    """Fail unless the folder holds valid artifacts: a briefing, a one-page notice (and, from
    gongwen, a Word document); return their sizes in bytes."""
    sizes = {}
    briefing, notice = folder / BRIEFING, folder / NOTICE
    for path in (briefing, notice):
        if not path.is_file():
            raise BenchmarkError(f"{engine} wrote no {path}")
        sizes[path.name] = path.stat().st_size
    if page_count(briefing) < 1:
        raise BenchmarkError(f"{briefing} has no pages")
    if page_count(notice) != 1:
        raise BenchmarkError(f"{notice} has {page_count(notice)} pages, not one")
    if engine == "gongwen":
        summary = folder / SUMMARY
        try:
            with zipfile.ZipFile(summary) as document:
                if "word/document.xml" not in document.namelist():
                    raise BenchmarkError(f"{summary} has no word/document.xml")
        except (OSError, zipfile.BadZipFile) as error:
            raise BenchmarkError(f"{summary} is not a Word document: {error}") from None
        sizes[SUMMARY] = summary.stat().st_size
    return sizes


def check_build(output: Path, ids: list[str]) -> dict[str, dict[str, int]]:
    if not (output / "manifest.json").is_file():
        raise BenchmarkError(f"{output} has no manifest.json")
    return {publication: check_publication(output / publication) for publication in ids}


def typst_font_names(path: Path) -> set[str]:
    """PostScript names of the faces Typst embedded: it writes bare CFF, named in /BaseFont only
    (`ABCDEF+NotoSerifCJKsc-Regular-Identity-H`)."""
    names = set()
    for page in pypdf.PdfReader(str(path)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            name = str(font.get_object()["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            names.add(name.removesuffix("-Identity-H"))
    return names


class Bench:
    """One benchmark run: its scratch folder, the generated projects, and the rows measured so far."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._scratch = tempfile.TemporaryDirectory(prefix="gongwen-bench-")
        self.scratch = Path(self._scratch.name)
        compile_bytecode()
        self.options = build_options()
        self.faces = peer.resolved_faces()
        self.fonts = peer.FontFolder(self.faces)
        self.rows: list[Row] = []
        self.last_large: Path | None = None  # output of the latest large batch
        # Batches share one cache folder, warmed before they are timed: they measure the steady
        # cost of a publication, not the one-off preparation of fonts.
        self.batch_cache = self.folder("cache-batches")

    def close(self) -> None:
        self.fonts.close()
        self._scratch.cleanup()

    def folder(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.scratch))

    def row(self, section: str, key: str, label: str, unit: str, **fields) -> Row:
        row = Row(section, key, label, unit, **fields)
        self.rows.append(row)
        return row

    # ---- gongwen through its command line ----

    @property
    def incremental(self) -> bool:
        return "--force" in self.options

    def build_command(self, paths: list[Path], output: Path, jobs: int | None = None) -> list[str] | None:
        """`gongwen build`; `jobs` None leaves the default. None when this gongwen cannot run it."""
        command = [str(GONGWEN), "build", *map(str, paths), "-o", str(output), "-q"]
        if jobs is not None:
            if "--jobs" in self.options:
                command += ["--jobs", str(jobs)]
            elif jobs != 1:  # without --jobs a build is sequential: that is --jobs 1
                return None
        if self.incremental and jobs is not None:
            command.append("--force")  # batches measure building, not finding nothing to do
        return command

    def environment(self, cache: Path) -> dict[str, str]:
        return {**os.environ, "GONGWEN_CACHE_DIR": str(cache)}

    def project(self, count: int) -> Path:
        """A content project of `count` generated publications: content/unit-001.yaml …"""
        folder = self.folder(f"project-{count}")
        (folder / "content").mkdir()
        for index in range(1, count + 1):
            (folder / "content" / f"unit-{index:03d}.yaml").write_text(stress_content(seed=index), encoding="utf-8")
        return folder

    @staticmethod
    def ids(project: Path) -> list[str]:
        return sorted(path.stem for path in (project / "content").glob("*.yaml"))

    def build_batch(self, project: Path, jobs: int) -> tuple[Timed, Path] | None:
        output = self.folder("dist")
        command = self.build_command([project / "content"], output, jobs)
        if command is None:
            return None
        timed = run_timed(command, cwd=project, env=self.environment(self.batch_cache), sample_workers=jobs > 1)
        check_build(output, self.ids(project))
        return timed, output

    # ---- the peer ----

    def peer_data(self, content: Path, folder: Path) -> Path:
        path = folder / f"{content.stem}.json"
        path.write_text(peer.publication_data(content, self.faces), encoding="utf-8")
        return path

    def peer_batch(self, warm_up: Path, data_files: list[Path]) -> tuple[dict[str, dict[str, float]], Path]:
        """Typst at its best in a process of its own; seconds by publication and document."""
        output = self.folder("typst")
        timed = run_timed(
            [
                sys.executable,
                str(HERE / "peer.py"),
                "batch",
                str(self.fonts.path),
                str(output),
                str(warm_up),
                *map(str, data_files),
            ],
            cwd=HERE,
            env=dict(os.environ),
        )
        for data_file in data_files:
            check_publication(output / data_file.stem, engine="Typst")
        return json.loads(timed.stdout), output

    # ---- the rows ----

    def run(self) -> list[Row]:
        self.small, self.large = self.project(self.settings.small), self.project(self.settings.large)
        data_folder = self.folder("typst-data")
        self.small_data = [
            self.peer_data(path, data_folder) for path in sorted((self.small / "content").glob("*.yaml"))
        ]
        self.seed_data = self.peer_data(SEED, data_folder)
        ours, theirs = self.seed_rows()
        self.preview_rows()
        self.size_rows(ours, theirs)
        self.ofd_rows()
        self.batch_rows()
        self.edit_rows()
        return self.rows

    def seed_rows(self) -> tuple[Path, Path]:
        """Cold builds and no-op rebuilds of the seed, then the peer on it; both outputs of the last run."""
        repeat = self.settings.repeat
        section = "gongwen: the seed (content/genertec-2015.yaml)"
        cold = self.row(
            section, "cold_build", "cold build, 3 artifacts (fresh process, empty cache)", "s", target=at_most(1.0)
        )
        noop = self.row(section, "noop_rebuild", "rebuild with nothing changed", "s", target=at_most(0.15))
        if not self.incremental:
            noop.note = NO_CACHE
        for run in range(repeat):
            progress(f"cold build of the seed {run + 1}/{repeat}")
            cache, output = self.folder("cache-cold"), self.folder("dist-seed")
            command = self.build_command([SEED], output)
            cold.samples.append(run_timed(command, cwd=ROOT, env=self.environment(cache)).seconds)
            check_build(output, [SEED_ID])
            if self.incremental:
                before = digests(output)
                noop.samples.append(run_timed(command, cwd=ROOT, env=self.environment(cache)).seconds)
                if digests(output) != before:
                    raise BenchmarkError("a rebuild with nothing changed changed the output folder")
        ours = output / SEED_ID

        section = "Typst (the peer) on the seed: same text, fonts and page"
        in_process = {
            document: self.row(
                section, f"typst_in_process_{document}", f"{document}, in-process (reused compiler, new content)", "ms"
            )
            for document in ("briefing", "notice")
        }
        as_process = {
            document: self.row(
                section, f"typst_process_{document}", f"{document}, as a process (Python, import, fonts, compile)", "s"
            )
            for document in ("briefing", "notice")
        }
        for run in range(repeat):
            progress(f"Typst on the seed {run + 1}/{repeat}")
            seconds, output = self.peer_batch(self.small_data[0], [self.seed_data])
            for document, row in in_process.items():
                row.samples.append(seconds[SEED_ID][document] * 1000)
            for document, row in as_process.items():
                command = [
                    sys.executable,
                    str(HERE / "peer.py"),
                    "once",
                    str(peer.TEMPLATES / f"{document}.typ"),
                    str(self.seed_data),
                    str(self.scratch / f"{document}-once.pdf"),
                    str(self.fonts.path),
                ]
                row.samples.append(run_timed(command, cwd=HERE, env=dict(os.environ)).seconds)
        theirs = output / SEED_ID
        self.row(
            section,
            "ratio_cold_to_typst_processes",
            "cold build / Typst processes (briefing + notice)",
            "×",
            fixed=cold.value / sum(row.value for row in as_process.values()),
            target=at_most(3),
        )
        return ours, theirs

    def preview_rows(self) -> None:
        """`gongwen preview` on the seed: from a saved edit to its new page images, beside the cold build."""
        settings = self.settings
        progress(
            f"gongwen preview: {settings.preview_edits} edits of each document, {settings.preview_memory_edits} in all"
        )
        try:
            figures = preview.measure(
                settings.preview_edits, settings.preview_memory_edits, self.folder("preview"), self.folder("cache")
            )
        except preview.PreviewBenchmarkError as error:
            raise BenchmarkError(f"gongwen preview: {error}") from None
        section = "gongwen preview: a saved edit of the seed, shown in the page"
        cold = next(row for row in self.rows if row.key == "cold_build")
        self.row(section, "preview_cold_build", "cold build, 3 artifacts (from above)", "s", fixed=cold.value)
        self.row(
            section,
            "preview_first_view",
            "first page shown, fresh process (images fetched)",
            "s",
            samples=[figures.first_view_seconds],
        )
        self.row(
            section,
            "preview_edit_notice",
            "edit of the notice → its new page image in the page",
            "s",
            samples=figures.notice_seconds,
            target=at_most(0.5),
        )
        self.row(
            section,
            "preview_edit_briefing",
            "edit of the briefing → its new page images in the page",
            "s",
            samples=figures.briefing_seconds,
            target=at_most(1.0),
        )
        self.row(
            section,
            "preview_memory_first",
            "resident memory after the first page",
            "MiB",
            samples=[figures.resident_after_first_mib],
        )
        self.row(
            section,
            "preview_memory_growth",
            f"resident memory growth over {figures.edits_for_memory} edits",
            "MiB",
            samples=[figures.resident_after_edits_mib - figures.resident_after_first_mib],
            target=at_most(30),
        )

    def size_rows(self, ours: Path, theirs: Path) -> None:
        for document in (BRIEFING, NOTICE):
            self.same_fonts(ours / document, theirs / document)
        our_sizes, their_sizes = check_publication(ours), check_publication(theirs, engine="Typst")
        section = "sizes of the seed's artifacts (KB = 1000 bytes)"
        self.row(section, "size_briefing", "briefing.pdf", "KB", samples=[our_sizes[BRIEFING] / KB])
        self.row(section, "size_notice", "notice.pdf", "KB", samples=[our_sizes[NOTICE] / KB], target=at_most(60))
        self.row(section, "size_summary", "summary.docx", "KB", samples=[our_sizes[SUMMARY] / KB])
        self.row(section, "typst_size_briefing", "Typst's briefing.pdf", "KB", samples=[their_sizes[BRIEFING] / KB])
        self.row(section, "typst_size_notice", "Typst's notice.pdf", "KB", samples=[their_sizes[NOTICE] / KB])
        self.row(
            section,
            "ratio_size_briefing",
            "briefing size / Typst's",
            "×",
            fixed=our_sizes[BRIEFING] / their_sizes[BRIEFING],
            target=at_most(1.3),
        )
        self.row(
            section, "ratio_size_notice", "notice size / Typst's", "×", fixed=our_sizes[NOTICE] / their_sizes[NOTICE]
        )
        self.row(section, "pages_briefing", "briefing pages: gongwen", "pages", samples=[page_count(ours / BRIEFING)])
        self.row(
            section, "typst_pages_briefing", "briefing pages: Typst", "pages", samples=[page_count(theirs / BRIEFING)]
        )

    def ofd_rows(self) -> None:
        """The cost of OFD beside the PDF: cold builds of the seed with and without it, made
        alternately so a busy machine slows both alike, and the OFDs' sizes against the PDFs'."""
        if "--format" not in self.options:
            return
        section = "gongwen: OFD beside the PDF (the seed)"
        plain = self.row(section, "ofd_cold_pdf", "cold build, PDF only (fresh process, empty cache)", "s")
        both = self.row(section, "ofd_cold_both", "cold build, --format pdf --format ofd", "s")
        for run in range(self.settings.repeat):
            progress(f"cold build of the seed with and without OFD {run + 1}/{self.settings.repeat}")
            for row, formats in ((plain, ["pdf"]), (both, ["pdf", "ofd"])):
                cache, output = self.folder("cache-ofd"), self.folder("dist-ofd")
                command = self.build_command([SEED], output) + [arg for name in formats for arg in ("--format", name)]
                row.samples.append(run_timed(command, cwd=ROOT, env=self.environment(cache)).seconds)
                check_build(output, [SEED_ID])
        self.row(
            section,
            "ofd_added",
            "time OFD adds to a PDF-only build",
            "%",
            fixed=(both.value / plain.value - 1) * 100,
            target=at_most(20),
        )
        ours = output / SEED_ID
        for document in ("briefing", "notice"):
            ofd, pdf = ours / f"{document}.ofd", ours / f"{document}.pdf"
            if not ofd.is_file():
                raise BenchmarkError(f"gongwen wrote no {ofd}")
            self.row(section, f"ofd_size_{document}", f"{document}.ofd", "KB", samples=[ofd.stat().st_size / KB])
            self.row(
                section,
                f"ofd_size_ratio_{document}",
                f"{document}.ofd / {document}.pdf",
                "×",
                fixed=ofd.stat().st_size / pdf.stat().st_size,
                target=at_most(1.2),
            )

    def same_fonts(self, ours: Path, theirs: Path) -> None:
        """Both engines must have drawn with the same faces, or the comparison means nothing."""
        mine = {face.postscript for face in embedded_faces(ours)}
        peers = typst_font_names(theirs)
        if mine != peers:
            raise BenchmarkError(f"{ours.name}: gongwen embeds {sorted(mine)}, Typst {sorted(peers)}")

    def batch_rows(self) -> None:
        settings = self.settings
        small, large = settings.small, settings.large
        progress("warming the batches' cache folder")
        # 8 publications: a build of that many prepares the font faces for cutting, once per machine, as a user's
        # first batch would; the timed batches then measure building, not that preparation.
        warm_up = sorted((self.small / "content").glob("*.yaml"))[:8]
        run_timed(
            self.build_command(warm_up, self.folder("dist-warm-up")),
            cwd=self.small,
            env=self.environment(self.batch_cache),
        )

        section = "gongwen: batches of generated publications (tests/stress.py)"
        times = {
            (count, jobs): self.row(
                section,
                f"batch_{count}_jobs_{jobs}",
                f"{count} publications, --jobs {jobs}",
                "s",
                note="" if jobs > 1 or "--jobs" in self.options else "run without --jobs",
            )
            for count in (small, large)
            for jobs in (1, 2)
        }
        memory = {
            jobs: self.row(
                section,
                f"peak_worker_memory_jobs_{jobs}",
                f"peak memory of a worker, {large} publications, --jobs {jobs}",
                "MiB",
                target=at_most(300),
            )
            for jobs in (1, 2)
        }
        ours = self.row(section, "per_publication", f"per publication, --jobs 1, {small} publications", "ms")
        theirs = self.row(
            section, "typst_per_publication", f"Typst briefing + notice per publication, same {small}", "ms"
        )
        size_ratios: list[float] = []
        for run in range(settings.batch_repeat):
            for count, project in ((small, self.small), (large, self.large)):
                for jobs in (1, 2):
                    progress(f"{count} publications, --jobs {jobs}, {run + 1}/{settings.batch_repeat}")
                    built = self.build_batch(project, jobs)
                    if built is None:
                        times[count, jobs].note = NO_JOBS
                        if count == large:
                            memory[jobs].note = NO_JOBS
                        continue
                    timed, output = built
                    times[count, jobs].samples.append(timed.seconds)
                    if count == small and jobs == 1:
                        # The peer right after ours, on the same publications.
                        progress(f"Typst on the same {count} publications, {run + 1}/{settings.batch_repeat}")
                        seconds, peer_output = self.peer_batch(self.seed_data, self.small_data)
                        ours.samples.append(timed.seconds / count * 1000)
                        theirs.samples.append(
                            sum(sum(documents.values()) for documents in seconds.values()) / count * 1000
                        )
                        size_ratios = [
                            (output / unit / BRIEFING).stat().st_size / (peer_output / unit / BRIEFING).stat().st_size
                            for unit in seconds
                        ]
                        shutil.rmtree(peer_output)
                    if count == large:
                        worker = timed.peak_mib if jobs == 1 else timed.worker_peak_mib
                        if worker is None:
                            raise BenchmarkError(f"`--jobs {jobs}` started no worker process to measure")
                        memory[jobs].samples.append(worker)
                        if self.last_large is not None:
                            shutil.rmtree(self.last_large)
                        self.last_large = output  # kept for the incremental rows
                    else:
                        shutil.rmtree(output)

        section = "batches: scaling, and as ratios to Typst"
        self.row(
            section,
            "ratio_per_publication_to_typst",
            "per publication, --jobs 1 / Typst briefing + notice",
            "×",
            fixed=ours.value / theirs.value,
            target=at_most(10),  # the open issue's target ("within 10× Typst, on the same engine")
        )
        self.row(
            section,
            "ratio_briefing_size_batch",
            f"briefing size / Typst's, median of {small}",
            "×",
            samples=size_ratios,
            target=at_most(1.3),
        )
        one, two = times[large, 1].value, times[large, 2].value
        self.row(
            section,
            "throughput_jobs_2_over_1",
            f"throughput --jobs 2 / --jobs 1, {large} publications",
            "×",
            fixed=one / two if one and two else None,
            note="" if one and two else NO_JOBS,
            target=at_least(1.7),
        )
        for jobs in (1, 2):
            big, little = times[large, jobs].value, times[small, jobs].value
            self.row(
                section,
                f"scaling_{large}_over_{small}_jobs_{jobs}",
                f"time of {large} / time of {small}, --jobs {jobs}",
                "×",
                fixed=big / little if big and little else None,
                note="" if big and little else NO_JOBS,
                target=at_most(4.4),
            )

    def edit_rows(self) -> None:
        """One content file edited in the large batch, then a build with the default options."""
        settings = self.settings
        row = self.row(
            "gongwen: incremental",
            "edit_one_rebuild",
            f"rebuild after 1 of {settings.large} content files changed",
            "s",
            target=at_most(1.0),
        )
        output = self.last_large
        if not self.incremental or output is None:
            row.note = NO_CACHE
            return
        command = self.build_command([self.large / "content"], output)
        for run in range(settings.repeat):
            unit = f"unit-{1 + run * 37 % settings.large:03d}"
            path = self.large / "content" / f"{unit}.yaml"
            content = yaml.safe_load(path.read_text(encoding="utf-8"))
            content["briefing"]["sections"][0]["paragraphs"][0] += f"第{run + 1}次修改补充的内容。"
            path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
            progress(f"rebuild after editing {unit}, {run + 1}/{settings.repeat}")
            before = digests(output)
            row.samples.append(run_timed(command, cwd=self.large, env=self.environment(self.batch_cache)).seconds)
            after = digests(output)
            changed = {name for name in after if before.get(name) != after[name]}
            if f"{unit}/{BRIEFING}" not in changed:
                raise BenchmarkError(f"editing {path.name} did not rebuild {unit}/{BRIEFING}")
            strays = {name for name in changed if not name.startswith(f"{unit}/")} - {"manifest.json", "SHA256SUMS"}
            if strays:
                raise BenchmarkError(f"editing {path.name} also changed {sorted(strays)[:5]}")
            check_publication(output / unit)


def header(facts: dict, settings: Settings, options: set[str]) -> str:
    load = facts["load_average_at_start"]
    return (
        f"gongwen {facts['gongwen']} · {facts['cores']} cores, {facts['cpu']} · Python {facts['python']} · "
        f"WeasyPrint {facts['weasyprint']} · typst {facts['typst_package']} (Typst {facts['typst']})\n"
        f"load average at start {load[0]:.2f}, at end {facts['load_average_at_end'][0]:.2f} · "
        f"medians of {settings.repeat} runs, batches of {settings.batch_repeat} · "
        f"build options found: {', '.join(sorted(options)) or 'none of --jobs, --force'}"
    )


def main(argv: list[str] | None = None) -> int:
    settings, json_path = parse(argv)
    facts = {**machine(), "typst": peer.compiler_version()}
    started = time.time()
    bench = Bench(settings)
    try:
        rows = bench.run()
    except (BenchmarkError, peer.PeerError) as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        bench.close()
    facts["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    print(header(facts, settings, bench.options))
    print(render(rows))
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(
        json.dumps(
            {
                "machine": facts,
                "settings": settings.__dict__,
                "build_options": sorted(bench.options),
                "seconds": round(time.time() - started, 1),
                "rows": [row.as_json() for row in rows],
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"\nwritten to {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
