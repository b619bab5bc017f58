"""Whether a change to the typesetting or the PDF engine's use left the output as it was: the composer's line
breaks, the PDFs' bytes, and where bytes differ, the layout checker's figures and the pages as images.

    python tests/benchmarks/same_output.py record OUT [--tree DIR]   # build the set with the pipeline in DIR
    python tests/benchmarks/same_output.py compare REF NEW            # compare two recordings
    python tests/benchmarks/same_output.py against REV                # record REV (git archive) and this tree, compare

The set: the seed (two-sided, one-sided, PDF/UA-1), stress content (`tests/stress.py`) of seeds 1–6, the seed of
stress content one-sided, notices with the scope written out 2, 3 and 4 times, and every corpus file
(`tests/corpus/*.yaml`). A recording holds every paragraph the composer was asked for (face, size, width, cell,
text, indent) with the lines it chose (start, end, spacing, words, hanging, compressed), each PDF, their
SHA-256 and how many layouts each document took.

`compare` composes every paragraph of REF again with the composer of NEW's tree and asks for the same lines,
spacing to the last bit; then, for every PDF whose bytes differ: the layout checker's report (`tests/layout.py`,
every figure and every line's glyph positions), the text as `pdftotext` extracts it, the tag tree (for the
PDF/UA variant), and each page rendered by `pdftoppm` at 50, 150 and 300 dpi, compared pixel by pixel. Exit
status 0 when everything is the same or invisibly different, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TESTS = ROOT / "tests"
RESOLUTIONS = (50, 150, 300)
STRESS_SEEDS = (1, 2, 3, 4, 5, 6)
NOTICE_SCOPES = (2, 3, 4)


# ---- recording (runs with the pipeline of the tree being recorded) ----


def _cases(folder: Path) -> list[tuple[str, Path, dict[str, Any]]]:
    """(name, content file, configuration overrides) of every publication in the set."""
    sys.path.insert(0, str(TESTS))
    from stress import stress_content

    seed = ROOT / "content" / "genertec-2015.yaml"
    cases: list[tuple[str, Path, dict[str, Any]]] = [
        ("seed", seed, {}),
        ("seed-one-sided", seed, {"one_sided": True}),
        ("seed-ua", seed, {"pdf_variant": "pdf/ua-1"}),
    ]
    generated = folder / "content"
    generated.mkdir(parents=True)
    for number in STRESS_SEEDS:
        path = generated / f"stress-{number}.yaml"
        path.write_text(stress_content(seed=number), encoding="utf-8")
        cases.append((f"stress-{number}", path, {}))
    cases.append(("stress-7-one-sided", _write(generated / "stress-7.yaml", stress_content()), {"one_sided": True}))
    for factor in NOTICE_SCOPES:
        path = _write(generated / f"scope-{factor}.yaml", stress_content(scope_factor=factor, channels=2))
        cases.append((f"scope-{factor}", path, {}))
    seed_text = seed.read_text(encoding="utf-8")
    cases.append(("seed-scope-3", _write(generated / "seed-scope-3.yaml", _scope_times(seed_text, 3)), {}))
    for path in sorted((TESTS / "corpus").glob("*.yaml")):
        cases.append((f"corpus-{path.stem}", path, {}))
    return cases


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _scope_times(content: str, times: int) -> str:
    """The seed with `notice.scope` written out `times` times (the issue's case of a notice that must tighten)."""
    lines = content.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith("  scope: "):
            text = line[len("  scope: ") :].rstrip("\n")
            lines[index] = "  scope: " + text * times + "\n"
            return "".join(lines)
    raise ValueError("the seed has no notice.scope line")


def record(out: Path) -> None:
    """Build the set with the `pipeline` importable here, and write what `compare` reads into `out`."""
    from pipeline.artifacts import BRIEFING, NOTICE
    from pipeline.config import load_configuration
    from pipeline.content.model import load_publication
    from pipeline.pdf.engine import PdfEngine
    from pipeline.publisher import Publisher
    from pipeline.typeset import compose

    out.mkdir(parents=True, exist_ok=True)
    paragraphs: dict[str, dict[str, Any]] = {}
    original_lines = compose.Composer.lines

    def recording(self: Any, text: str, indent_cells: float = 0) -> Any:
        lines = original_lines(self, text, indent_cells)
        face = self.shaper.face
        entry = {
            "face": [face.path, face.index],
            "size": self.size,
            "width": self.width,
            "cell": self.cell,
            "text": text,
            "indent": indent_cells,
        }
        key = json.dumps(entry, ensure_ascii=False, sort_keys=True)
        paragraphs[key] = {**entry, "lines": [_line_record(line) for line in lines]}
        return lines

    setattr(compose.Composer, "lines", recording)  # noqa: B010 (a method replaced while recording)
    layouts: dict[str, int] = {}
    hashes: dict[str, str] = {}
    timings: dict[str, float] = {}
    counted = [0]
    original_layout = PdfEngine.layout

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        counted[0] += 1
        return original_layout(self, *args, **kwargs)

    setattr(PdfEngine, "layout", counting)  # noqa: B010
    with tempfile.TemporaryDirectory() as scratch:
        publishers: dict[str, Any] = {}
        for name, path, overrides in _cases(Path(scratch)):
            key = json.dumps(overrides, sort_keys=True)
            if key not in publishers:
                publishers[key] = Publisher(load_configuration(ROOT, overrides))
            publisher = publishers[key]
            publication = load_publication(path)
            (out / "pdf" / name).mkdir(parents=True, exist_ok=True)
            for artifact in (BRIEFING, NOTICE):
                counted[0] = 0
                started = time.perf_counter()
                made = publisher.artifacts(publication, (artifact,))
                timings[f"{name}/{artifact.name}"] = time.perf_counter() - started
                data = made[0].data
                (out / "pdf" / name / artifact.name).write_bytes(data)
                hashes[f"{name}/{artifact.name}"] = hashlib.sha256(data).hexdigest()
                layouts[f"{name}/{artifact.name}"] = counted[0]
            overrides_file = out / "pdf" / name / "overrides.json"
            overrides_file.write_text(json.dumps(overrides), encoding="utf-8")
    setattr(PdfEngine, "layout", original_layout)  # noqa: B010
    setattr(compose.Composer, "lines", original_lines)  # noqa: B010
    (out / "paragraphs.json").write_text(
        json.dumps(
            sorted(paragraphs.values(), key=lambda item: json.dumps(item, ensure_ascii=False)),
            ensure_ascii=False,
            indent=0,
        ),
        encoding="utf-8",
    )
    (out / "hashes.json").write_text(json.dumps(hashes, indent=1, sort_keys=True), encoding="utf-8")
    (out / "layouts.json").write_text(json.dumps(layouts, indent=1, sort_keys=True), encoding="utf-8")
    (out / "timings.json").write_text(json.dumps(timings, indent=1, sort_keys=True), encoding="utf-8")
    print(f"recorded {len(hashes)} PDFs and {len(paragraphs)} paragraphs into {out}")


def _line_record(line: Any) -> list[Any]:
    return [
        line.start,
        line.end,
        line.spacing.hex(),
        [list(word) for word in line.words],
        line.hanging,
        list(line.compressed),
    ]


def recompose(reference: Path) -> list[str]:
    """Every paragraph of the reference composed again with the composer importable here: the differences."""
    from pipeline.typeset.compose import Composer
    from pipeline.typeset.fonts import resolve_fonts
    from pipeline.typeset.shaping import Shaper

    faces = {(face.path, face.index): face for face in resolve_fonts().values()}
    shapers: dict[tuple[str, int], Shaper] = {}
    differences = []
    paragraphs = json.loads((reference / "paragraphs.json").read_text(encoding="utf-8"))
    for entry in paragraphs:
        face_key = (entry["face"][0], entry["face"][1])
        shaper = shapers.setdefault(face_key, Shaper(faces[face_key]))
        composer = Composer(shaper, entry["size"], entry["width"], entry["cell"])
        lines = [_line_record(line) for line in composer.lines(entry["text"], entry["indent"])]
        if lines != entry["lines"]:
            differences.append(f"{entry['text'][:30]}… (size {entry['size']}): {lines} != {entry['lines']}")
    print(f"recomposed {len(paragraphs)} paragraphs: {len(differences)} differ")
    return differences


# ---- comparing (runs with this checkout's tests) ----


def compare(reference: Path, new: Path) -> int:
    sys.path.insert(0, str(TESTS))
    failures: list[str] = []
    failures += recompose(reference)
    ref_hashes = json.loads((reference / "hashes.json").read_text(encoding="utf-8"))
    new_hashes = json.loads((new / "hashes.json").read_text(encoding="utf-8"))
    if set(ref_hashes) != set(new_hashes):
        failures.append(f"different sets of PDFs: {sorted(set(ref_hashes) ^ set(new_hashes))}")
    same = [name for name in ref_hashes if new_hashes.get(name) == ref_hashes[name]]
    differ = [name for name in ref_hashes if name in new_hashes and new_hashes[name] != ref_hashes[name]]
    print(f"PDFs: {len(same)} byte-identical, {len(differ)} differ in bytes")
    for name in differ:
        failures += [f"{name}: {problem}" for problem in _invisible(reference / "pdf" / name, new / "pdf" / name)]
    ref_layouts = json.loads((reference / "layouts.json").read_text(encoding="utf-8"))
    new_layouts = json.loads((new / "layouts.json").read_text(encoding="utf-8"))
    for name in sorted(ref_layouts):
        if ref_layouts[name] != new_layouts.get(name):
            print(f"  layouts of {name}: {ref_layouts[name]} before, {new_layouts.get(name)} now")
    for failure in failures:
        print("DIFFERENT:", failure)
    print("same output" if not failures else f"{len(failures)} differences")
    return 1 if failures else 0


# Figures of the layout checker that count lines, cells, marks and pages: they must be equal. Its positional
# figures (right-edge gaps, the widest gap of each line) move with the glyphs and are reported as such.
DISCRETE_FIGURES = (
    "pages",
    "lines_per_full_page",
    "full_line_cells",
    "bad_starts",
    "bad_ends",
    "lonely_last_lines",
    "margin_errors",
    "page_number_errors",
    "hanging_lines",
    "compressed_marks",
    "end_block_page",
    "unnumbered_pages",
)
MOST_GLYPH_SHIFT = 0.25  # points: the most a glyph may move and still count as invisibly moved (1 px at 300 dpi)


def _invisible(before: Path, after: Path) -> list[str]:
    """What differs visibly between two PDFs of the same document (empty when nothing does); what differs
    invisibly is printed."""
    import layout

    problems = []
    one_sided = json.loads((before.parent / "overrides.json").read_text(encoding="utf-8")).get("one_sided", False)
    is_notice = before.name == "notice.pdf"
    reports = [layout.check(path, one_sided=one_sided, page_numbers=not is_notice) for path in (before, after)]
    for name in DISCRETE_FIGURES:
        if getattr(reports[0], name) != getattr(reports[1], name):
            problems.append(f"layout checker: {name} {getattr(reports[0], name)} != {getattr(reports[1], name)}")
    lines = [
        [(line.page, round(line.baseline, 2), _solid(line.text)) for line in report.body_lines] for report in reports
    ]
    if lines[0] != lines[1]:
        problems.append("layout checker: the body's lines differ in text, page or baseline")
    gaps = [max((abs(gap) for _, _, gap in report.right_gaps), default=0.0) for report in reports]
    worst = [report.worst_line[2] for report in reports]
    shift, shifted = _glyph_shift(before, after)
    if shift > MOST_GLYPH_SHIFT:
        problems.append(f"a glyph moved {shift:.3f} pt")
    texts = [_solid(_pdftotext(path)) for path in (before, after)]
    if texts[0] != texts[1]:
        problems.append("extracted text differs (white space aside)")
    trees = [_tag_tree(path) for path in (before, after)]
    if trees[0] != trees[1]:
        problems.append(f"tag trees differ: {trees[0][:200]} / {trees[1][:200]}")
    pixels = []
    for resolution in RESOLUTIONS:
        changed, beyond = _pixels_differ(before, after, resolution)
        pixels.append(f"{changed} at {resolution} dpi")
        if beyond:
            problems.append(f"at {resolution} dpi: {beyond}")
    print(
        f"  {before.parent.name}/{before.name}: {shifted} glyphs moved, at most {shift:.3f} pt; widest right-edge gap "
        f"{gaps[0]:.3f} → {gaps[1]:.3f} pt; worst line {worst[0]:.4f} → {worst[1]:.4f} em; pixels changed "
        f"{', '.join(pixels)}" + (", none beyond a pixel's move" if not problems else f"; {len(problems)} differences")
    )
    return problems


def _solid(text: str) -> str:
    return "".join(text.split())


def _pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _glyph_shift(before: Path, after: Path) -> tuple[float, int]:
    """The most any drawn character moved (in points), and how many moved more than a thousandth of a point;
    characters are matched in reading order, white space aside."""
    from pdfread import chars

    pages = [chars(path) for path in (before, after)]
    if len(pages[0]) != len(pages[1]):
        return float("inf"), 0
    most, moved = 0.0, 0
    for first, second in zip(*pages, strict=True):
        drawn = [
            sorted((char for char in page if char["text"].strip()), key=lambda char: (round(char["top"]), char["x0"]))
            for page in (first, second)
        ]
        if [char["text"] for char in drawn[0]] != [char["text"] for char in drawn[1]]:
            return float("inf"), 0
        for one, other in zip(*drawn, strict=True):
            distance = max(abs(one["x0"] - other["x0"]), abs(one["top"] - other["top"]))
            most = max(most, distance)
            moved += distance > 0.001
    return most, moved


def _tag_tree(path: Path) -> str:
    """The tag tree's structure elements (Document, H1, P …) in order, each with the text of its marked content;
    the Span and NonStruct elements between them (a line, a `<br>`, a run of spacing: layout, not structure) are
    looked through. '' when the PDF is untagged."""
    import pdfplumber
    import pypdf

    reader = pypdf.PdfReader(path)
    root = reader.trailer["/Root"]
    if "/StructTreeRoot" not in root:
        return ""
    marked: dict[tuple[int, int], str] = {}  # (page object number, MCID): text
    with pdfplumber.open(path) as pdf:
        for page, plumbed in zip(reader.pages, pdf.pages, strict=True):
            number = page.indirect_reference.idnum
            for char in plumbed.chars:
                if char.get("mcid") is not None:
                    key = (number, char["mcid"])
                    marked[key] = marked.get(key, "") + char["text"]
    layout_only = ("/Span", "/NonStruct")

    def walk(node: Any, page: int | None) -> list[Any]:
        """The structure below `node`: a list of [type, children…] and text strings."""
        if isinstance(node, int):
            return [marked.get((page or 0, node), "")]
        node = node.get_object()
        if not isinstance(node, pypdf.generic.DictionaryObject):
            return []
        if "/MCID" in node:
            return [marked.get((page or 0, int(node["/MCID"])), "")]
        if "/Pg" in node:
            page = node.raw_get("/Pg").idnum
        kids = node.get("/K")
        kids = [] if kids is None else list(kids) if isinstance(kids, pypdf.generic.ArrayObject) else [kids]
        children: list[Any] = []
        for kid in kids:
            for item in walk(kid if isinstance(kid, int) else kid, page):
                if isinstance(item, str) and children and isinstance(children[-1], str):
                    children[-1] += item
                else:
                    children.append(item)
        kind = str(node.get("/S", node.get("/Type", "")))
        return children if kind in layout_only else [[kind, *children]]

    return json.dumps(walk(root["/StructTreeRoot"], None), ensure_ascii=False)


def _pixels_differ(before: Path, after: Path, resolution: int) -> tuple[int, str]:
    """How many pixels differ between the pages rendered at `resolution`, and where a difference is more than
    a move of one pixel explains: each pixel of one image must lie between the lightest and the darkest pixel
    of the other image around it (3 × 3), within a few levels of grey."""
    from PIL import Image, ImageChops, ImageFilter

    with tempfile.TemporaryDirectory() as folder:
        images = []
        for label, path in (("a", before), ("b", after)):
            subprocess.run(
                ["pdftoppm", "-r", str(resolution), "-gray", "-png", str(path), f"{folder}/{label}"], check=True
            )
            images.append(sorted(Path(folder).glob(f"{label}-*.png")))
        if len(images[0]) != len(images[1]):
            return 0, f"{len(images[0])} pages before, {len(images[1])} now"
        changed, found = 0, []
        for page, (first, second) in enumerate(zip(*images, strict=True), start=1):
            with Image.open(first) as one_file, Image.open(second) as other_file:
                one, other = one_file.convert("L"), other_file.convert("L")
                histogram = ImageChops.difference(one, other).histogram()
                changed += sum(histogram[1:])
                beyond = 0
                for this, that in ((one, other), (other, one)):
                    lightest, darkest = that.filter(ImageFilter.MaxFilter(3)), that.filter(ImageFilter.MinFilter(3))
                    for excess in (ImageChops.subtract(darkest, this), ImageChops.subtract(this, lightest)):
                        beyond += sum(excess.histogram()[PIXEL_TOLERANCE + 1 :])
                if beyond:
                    found.append(f"page {page}: {beyond} pixels differ more than a move of one pixel explains")
        return changed, "; ".join(found)


PIXEL_TOLERANCE = 8  # levels of grey (of 255) a pixel may lie beyond its neighbourhood: rasteriser rounding


# ---- a revision against this checkout ----


def against(revision: str, keep: Path | None) -> int:
    folder = keep or Path(tempfile.mkdtemp(prefix="same-output-"))
    tree = folder / "tree"
    if not tree.exists():
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    for label, source in (("reference", tree), ("new", ROOT)):
        if not (folder / label / "hashes.json").exists():
            _record_in_process(source, folder / label)
    return compare(folder / "reference", folder / "new")


def _record_in_process(tree: Path, out: Path) -> None:
    """`record` in a fresh Python whose `pipeline` is the one in `tree`."""
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run(
        [sys.executable, str(Path(__file__)), "record", str(out), "--tree", str(tree)], check=True, env=environment
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    recorder = commands.add_parser("record")
    recorder.add_argument("out", type=Path)
    recorder.add_argument("--tree", type=Path, default=ROOT)
    comparer = commands.add_parser("compare")
    comparer.add_argument("reference", type=Path)
    comparer.add_argument("new", type=Path)
    reviser = commands.add_parser("against")
    reviser.add_argument("revision")
    reviser.add_argument("--keep", type=Path, help="a folder for the recordings (reused when present)")
    arguments = parser.parse_args(argv)
    if arguments.command == "record":
        tree = arguments.tree.resolve()
        sys.path.insert(0, str(tree))
        for name in [module for module in sys.modules if module == "pipeline" or module.startswith("pipeline.")]:
            del sys.modules[name]
        import pipeline

        assert Path(pipeline.__file__).resolve().parent == tree / "pipeline", pipeline.__file__
        record(arguments.out.resolve())
        return 0
    if arguments.command == "compare":
        return compare(arguments.reference, arguments.new)
    return against(arguments.revision, arguments.keep)


if __name__ == "__main__":
    sys.exit(main())
