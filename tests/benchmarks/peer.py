"""The peer engine: the same briefing and notice compiled by Typst from the same content, with the same fonts and page.

The templates live in `typst/`; they read one JSON value from `sys.inputs.data`, made here from the
validated publication (punctuation normalised, dates and hours written as gongwen writes them; the
headings are numbered by Typst itself), and every number of the page comes from `pipeline.typeset.gbt9704`.
Fonts are gongwen's resolved faces, found through a folder of links to exactly those files, with
Typst's system and embedded fonts switched off, so the peer can neither pick another face nor fall
back silently.

Run as a script (in a process of its own, importing nothing of gongwen), it compiles one document
(the peer's cost as a process) or a batch with one reused compiler (the peer at its best).
"""

from __future__ import annotations

import datetime
import json
import sys
import tempfile
import time
from pathlib import Path

import typst

TEMPLATES = Path(__file__).resolve().parent / "typst"
BRIEFING = TEMPLATES / "briefing.typ"
NOTICE = TEMPLATES / "notice.typ"
WEIGHTS = {"Regular": 400, "Bold": 700}


class PeerError(RuntimeError):
    """The peer could not compile a document as gongwen would print it."""


def compiler_version() -> str:
    """The version of the Typst compiler inside the package, e.g. 0.15.1."""
    shown = typst.eval(b"", "sys.version", format="json")  # '"version(0, 15, 1)"'
    return ".".join(part.strip() for part in json.loads(shown).removeprefix("version(").rstrip(")").split(","))


def new_compiler(font_folder: Path) -> typst.Compiler:
    fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(font_folder)])
    return typst.Compiler(root=str(TEMPLATES), font_paths=fonts)


def compile_pdf(compiler: typst.Compiler, template: Path, data: str) -> bytes:
    """One document; any warning (an unknown font family, say) is an error. Untagged, as
    gongwen's PDFs are: tags would make the peer's files larger for a feature ours lack."""
    pdf, warnings = compiler.compile_with_warnings(
        input=str(template), sys_inputs={"data": data}, timestamp=_timestamp(data), pdf_tags=False
    )
    if warnings:
        raise PeerError(f"{template.name}: " + "; ".join(warning.message for warning in warnings))
    return pdf


def _timestamp(data: str) -> datetime.datetime:
    """The creation date written into the PDF: the publication's, as gongwen writes it."""
    return datetime.datetime.fromisoformat(json.loads(data)["created"]).replace(tzinfo=datetime.UTC)


class FontFolder:
    """A temporary folder of links to gongwen's resolved font files, the only fonts the peer sees."""

    def __init__(self, faces: dict) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="gongwen-peer-fonts-")
        self.path = Path(self._folder.name)
        for path in sorted({face.path for face in faces.values()}):
            (self.path / Path(path).name).symlink_to(path)

    def close(self) -> None:
        self._folder.cleanup()


def resolved_faces() -> dict:
    """gongwen's faces by role, resolved with the default configuration."""
    from pipeline.errors import Where
    from pipeline.typeset.fonts import resolve_fonts

    return resolve_fonts({}, Where("benchmark"))


def publication_data(path: Path, faces: dict) -> str:
    """The JSON the peer's templates read: the publication as gongwen prints it, the page, the fonts."""
    from pipeline.content.model import Generated, load_publication
    from pipeline.content.vocabulary import BUILTIN, vocabulary_for
    from pipeline.render.documents import created_timestamp, prepare_text
    from pipeline.render.wording import wording
    from pipeline.typeset import gbt9704
    from pipeline.typeset.numerals import chinese_date

    publication = load_publication(path)
    if publication.number or publication.has_end_block:
        raise PeerError(f"{path}: the peer's briefing has no 版头 or 版记; benchmark content must not use them")
    printed = prepare_text(publication)
    words = wording(printed, vocabulary_for(printed, BUILTIN))

    def texts(paragraphs: tuple) -> list[str]:
        return [words.contacts if isinstance(item, Generated) else item for item in paragraphs]

    sections = [
        {
            "heading": section.heading,
            "paragraphs": texts(section.paragraphs),
            "parts": [{"heading": part.heading, "paragraphs": texts(part.paragraphs)} for part in section.sections],
        }
        for section in printed.briefing.sections
    ]
    data = {
        "created": created_timestamp(publication).rstrip("Z"),
        "title": printed.title,
        "subtitle": printed.subtitle,
        "issuer": printed.issuer,
        "note": printed.note,
        "date": chinese_date(printed.date),
        "sections": sections,
        "notice": {  # the sentences gongwen's notice prints, in the tour's words (pipeline/render/wording.py)
            "title": words.title,
            "opening": words.opening,
            "channels": words.channels,
            "channel_texts": list(words.channel_texts),
            "listed": words.listed,
            "hours": words.hours,
            "hours_text": words.hours_text,
            "scope": words.scope + words.exclusions,
            "scope_first": words.scope_first,
            "closing": words.closing,
            "signer": words.signer,
            "date": chinese_date(words.date),
        },
        "geometry": {
            "top_mm": gbt9704.TOP_MM,
            "bottom_mm": gbt9704.BOTTOM_MM,
            "binding_mm": gbt9704.BINDING_MM,
            "outer_mm": gbt9704.OUTER_MM,
            "grid": _grid(gbt9704.STANDARD_GRID),
            "title_size": gbt9704.TITLE_SIZE,
            "page_number_size": gbt9704.PAGE_NUMBER_SIZE,
            "page_number_gap_mm": gbt9704.PAGE_NUMBER_GAP_MM,
            "notice_steps": [_grid(step) for step in gbt9704.NOTICE_FIT_STEPS],
        },
        "fonts": {
            role: {"family": face.family, "weight": WEIGHTS[face.style], "postscript": face.postscript}
            for role, face in faces.items()
        },
    }
    return json.dumps(data, ensure_ascii=False)


def _grid(grid) -> dict:
    """A text grid for the peer: size, line pitch and the letter-spacing that fills the cells."""
    return {"size": grid.size, "pitch": grid.pitch, "spacing": grid.cell - grid.size}


def compile_batch(
    font_folder: Path, output: Path, warm_up: Path, data_files: list[Path]
) -> dict[str, dict[str, float]]:
    """Typst at its best: one compiler, warmed up on another publication (fonts loaded, templates
    parsed), then each publication's briefing and notice compiled and written; seconds by file stem."""
    compiler = new_compiler(font_folder)
    for template in (BRIEFING, NOTICE):
        compile_pdf(compiler, template, warm_up.read_text(encoding="utf-8"))
    seconds: dict[str, dict[str, float]] = {}
    for data_file in data_files:
        data = data_file.read_text(encoding="utf-8")
        folder = output / data_file.stem
        folder.mkdir(parents=True, exist_ok=True)
        for template in (BRIEFING, NOTICE):
            start = time.perf_counter()
            (folder / f"{template.stem}.pdf").write_bytes(compile_pdf(compiler, template, data))
            seconds.setdefault(data_file.stem, {})[template.stem] = time.perf_counter() - start
    return seconds


USAGE = """usage: peer.py once TEMPLATE DATA_JSON OUTPUT_PDF FONT_FOLDER
       peer.py batch FONT_FOLDER OUTPUT_FOLDER WARM_UP_JSON DATA_JSON...   (prints seconds as JSON)"""


def main(argv: list[str]) -> int:
    if len(argv) == 5 and argv[0] == "once":
        template, data, output, font_folder = (Path(argument) for argument in argv[1:])
        output.write_bytes(compile_pdf(new_compiler(font_folder), template, data.read_text(encoding="utf-8")))
        return 0
    if len(argv) >= 5 and argv[0] == "batch":
        font_folder, output, warm_up, *data_files = (Path(argument) for argument in argv[1:])
        print(json.dumps(compile_batch(font_folder, output, warm_up, data_files)))
        return 0
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
