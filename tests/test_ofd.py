"""OFD beside the PDF: the package read back (structure, text, glyph positions, fonts, colours, parts),
drawn by an independent reader (ofd.js in Chromium) and compared with poppler's drawing of the PDF,
byte-reproducible, and made again exactly when its inputs change."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pdfplumber
import pytest
import yaml
from helpers import SEED_CONTENT, run_cli
from ofdread import NS, OfdPackage, reader_missing, render_with_ofdjs, squeeze
from pdfread import embedded_faces
from PIL import Image, ImageChops, ImageFilter
from stress import stress_content

from pipeline import incremental
from pipeline.build import BuildEvents, build
from pipeline.config import builtin_templates, load_configuration
from pipeline.typeset import gbt9704

PT_PER_MM = 72 / 25.4
FIXED = ("briefing", "notice")
MASTHEAD = {
    "number": "中巡发〔2015〕3号",
    "copy_to": ["中央巡视工作领导小组成员", "中央纪委办公厅"],
    "printed_by": "中央巡视工作领导小组办公室",
    "printed_on": "2015-03-02",
}
POSITION_TOLERANCE_PT = 0.01
"""Line origins and baselines agree with the PDF's to 0.01 pt: OFD keeps millimetres to the micrometre (0.003 pt).
Along a line the PDF may drift from the layout by up to 1/1000 em a character: the PDF engine writes each glyph's
advance in whole thousandths of an em, truncated, while the OFD's DeltaX keeps the layout's own advances (the
seed's 28-character subtitle line ends 0.22 pt apart, 0.08 mm)."""
PIXELS_PER_MM = 3.0
"""ofd.js draws at a whole tenth of a pixel per millimetre; 3 px/mm (76.2 dpi) shows 16 pt text at 17 px."""
FAR_INK = 0.05
"""At most 5 % of either drawing's ink pixels may lie more than 1 px (0.33 mm) from the other's ink. Chromium (Skia)
and poppler rasterise the same outlines with different anti-aliasing and stem darkening, and ofd.js draws each
character with the installed face of the font's family rather than the embedded program, so edges move by a
pixel here and there: measured 2.3–2.8 % on the seed. A missing line, a shifted paragraph or another face moves
far more (one missing 28-character line alone is about 4 % of a page's ink)."""


@pytest.fixture(scope="module")
def ofd_dist(tmp_path_factory) -> Path:
    """The seed, the seed with 版头 and 版记, and generated stress content, built as PDF and OFD."""
    folder = tmp_path_factory.mktemp("ofd")
    content = folder / "content"
    content.mkdir()
    seed = SEED_CONTENT.read_text(encoding="utf-8")
    (content / "seed.yaml").write_text(seed, encoding="utf-8")
    masthead = (
        seed.rstrip("\n")
        + "\n"
        + "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in MASTHEAD.items())
    )
    (content / "masthead.yaml").write_text(masthead, encoding="utf-8")
    (content / "stress.yaml").write_text(stress_content(), encoding="utf-8")
    output = folder / "dist"
    configuration = load_configuration(content, {"output": str(output), "formats": ("pdf", "ofd")})
    report = build([content], configuration, jobs=2)
    assert report.problems == [], [str(problem) for problem in report.problems]
    return output


PUBLICATIONS = ("seed", "masthead", "stress")


def pairs(dist: Path):
    for publication in PUBLICATIONS:
        for name in FIXED:
            yield publication, name, dist / publication / f"{name}.pdf", dist / publication / f"{name}.ofd"


def test_ofd_artifacts_go_through_the_output_folder(ofd_dist):
    manifest = json.loads((ofd_dist / "manifest.json").read_text(encoding="utf-8"))
    sums = (ofd_dist / "SHA256SUMS").read_text()
    assert manifest["formats"] == ["ofd", "pdf"]
    for publication, name, _pdf, ofd in pairs(ofd_dist):
        entry = manifest["artifacts"][f"{publication}/{name}.ofd"]
        assert entry["size"] == ofd.stat().st_size
        assert entry["pages"] == manifest["artifacts"][f"{publication}/{name}.pdf"]["pages"]
        assert f"{entry['sha256']}  {publication}/{name}.ofd" in sums
    result = subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=ofd_dist, capture_output=True)
    assert result.returncode == 0, result.stdout


# What GB/T 33190-2016 requires of the parts gongwen writes (its tables 3–5, 7, 12, 19, 31–32, 35, 45–46 and the
# schemas of its annex): element paths that must be present and the attributes each must carry.
REQUIRED = {
    "OFD.xml": {
        ".": ("Version", "DocType"),
        "ofd:DocBody": (),
        "ofd:DocBody/ofd:DocInfo": (),
        "ofd:DocBody/ofd:DocInfo/ofd:DocID": (),
        "ofd:DocBody/ofd:DocRoot": (),
    },
    "Document.xml": {
        "ofd:CommonData/ofd:MaxUnitID": (),
        "ofd:CommonData/ofd:PageArea/ofd:PhysicalBox": (),
        "ofd:Pages/ofd:Page": ("ID", "BaseLoc"),
    },
    "PublicRes.xml": {".": ("BaseLoc",), "ofd:Fonts/ofd:Font": ("ID", "FontName")},
    "Content.xml": {
        "ofd:Content/ofd:Layer": ("ID",),
        "ofd:Content/ofd:Layer/ofd:TextObject": ("ID", "Boundary", "Font", "Size"),
        "ofd:Content/ofd:Layer/ofd:TextObject/ofd:TextCode": ("X", "Y"),
        "ofd:Content/ofd:Layer/ofd:PathObject": ("ID", "Boundary"),
        "ofd:Content/ofd:Layer/ofd:PathObject/ofd:AbbreviatedData": (),
    },
}
ORDER = {
    "ofd:DocInfo": (
        "DocID",
        "Title",
        "Author",
        "Subject",
        "Abstract",
        "CreationDate",
        "ModDate",
        "DocUsage",
        "Cover",
        "Keywords",
        "Creator",
        "CreatorVersion",
        "CustomDatas",
    ),
    "ofd:Document": (
        "CommonData",
        "Pages",
        "Outlines",
        "Permissions",
        "Actions",
        "VPreferences",
        "Bookmarks",
        "Annotations",
        "CustomTags",
        "Attachments",
        "Extensions",
    ),
    "ofd:CommonData": ("MaxUnitID", "PageArea", "PublicRes", "DocumentRes", "TemplatePage", "DefaultCS"),
}
"""Sequences the schemas fix: children must come in this order."""


def check_required(name: str, root, kind: str) -> list[str]:
    problems = []
    for path, attributes in REQUIRED[kind].items():
        found = [root] if path == "." else root.findall(path, NS)
        if (
            path != "ofd:Content/ofd:Layer/ofd:PathObject"
            and path != "ofd:Content/ofd:Layer/ofd:PathObject/ofd:AbbreviatedData"
            and not found
        ):
            problems.append(f"{name}: no {path}")
        for element in found:
            problems += [
                f"{name}: {path} without @{attribute}" for attribute in attributes if element.get(attribute) is None
            ]
    return problems


@pytest.mark.parametrize("publication", PUBLICATIONS)
def test_package_has_every_required_element_and_attribute(ofd_dist, publication):
    for name in FIXED:
        package = OfdPackage(ofd_dist / publication / f"{name}.ofd")
        assert package.names[0] == "OFD.xml"
        assert package.entry.get("Version") == "1.0" and package.entry.get("DocType") == "OFD"
        problems = check_required("OFD.xml", package.entry, "OFD.xml")
        problems += check_required(package.doc_root, package.document, "Document.xml")
        for part in package.names:
            if part.endswith("PublicRes.xml"):
                problems += check_required(part, package.xml(part), "PublicRes.xml")
            if part.endswith("Content.xml"):
                problems += check_required(part, package.xml(part), "Content.xml")
        for parent, order in ORDER.items():
            for element in [package.entry, package.document]:
                for found in element.iter(f"{{{NS['ofd']}}}{parent.split(':')[1]}"):
                    names = [child.tag.split("}")[1] for child in found]
                    assert names == sorted(names, key=order.index), (parent, names)
        ids = [
            int(element.get("ID"))
            for part in package.names
            if part.endswith(".xml")
            for element in package.xml(part).iter()
            if element.get("ID")
        ]
        assert len(ids) == len(set(ids)), "object identifiers are unique in the document"
        assert max(ids) == int(package.document.findtext("ofd:CommonData/ofd:MaxUnitID", namespaces=NS))
        assert package.document.findtext("ofd:CommonData/ofd:PageArea/ofd:PhysicalBox", namespaces=NS) == "0 0 210 297"
        assert not [part for part in package.names if part.lower().endswith((".png", ".jpg", ".jpeg", ".bmp", ".tif"))]
        assert problems == []


def test_package_validates_against_the_standards_schemas_when_given(ofd_dist):
    """GONGWEN_OFD_SCHEMAS: a folder with the annex's OFD.xsd, Document.xsd, Page.xsd, Res.xsd, CustomTags.xsd and
    Definitions.xsd (they are published with the standard, not under a licence that lets us ship them)."""
    folder = os.environ.get("GONGWEN_OFD_SCHEMAS")
    if not folder:
        pytest.skip("set GONGWEN_OFD_SCHEMAS to a folder of GB/T 33190's XSD files to validate against them")
    from lxml import etree

    schemas = {
        name: etree.XMLSchema(etree.parse(str(Path(folder) / f"{name}.xsd")))
        for name in ("OFD", "Document", "Page", "Res", "CustomTags")
    }
    for publication, name, _, ofd in pairs(ofd_dist):
        package = OfdPackage(ofd)
        for part in package.names:
            if not part.endswith(".xml") or part.endswith("Parts.xml"):
                continue
            kind = {
                "OFD.xml": "OFD",
                "Document.xml": "Document",
                "PublicRes.xml": "Res",
                "CustomTags.xml": "CustomTags",
            }.get(part.rsplit("/", 1)[-1], "Page")
            schema = schemas[kind]
            assert schema.validate(package.xml(part)), (publication, name, part, schema.error_log.last_error)


def pdf_glyphs(pdf: Path) -> list[list[tuple[str, float, float]]]:
    """Each page's drawn characters as (character, x of the origin, baseline from the top), in points."""
    pages = []
    with pdfplumber.open(pdf) as document:
        for page in document.pages:
            pages.append(
                [
                    (char["text"], char["matrix"][4], float(page.height) - char["matrix"][5], char["size"])
                    for char in page.chars
                    if char["text"].strip()
                ]
            )
    return pages


def ofd_glyphs(ofd: Path) -> list[list[tuple[str, float, float]]]:
    pages = []
    for page in OfdPackage(ofd).pages():
        glyphs = []
        for item in page.texts:
            for char, x in zip(item.text, item.xs, strict=True):
                if char.strip():
                    glyphs.append((char, x * PT_PER_MM, item.baseline * PT_PER_MM, item.size * PT_PER_MM))
        pages.append(glyphs)
    return pages


def reading_order(glyphs):
    return sorted(glyphs, key=lambda glyph: (round(glyph[2], 1), glyph[1]))


@pytest.mark.parametrize("publication", PUBLICATIONS)
def test_text_and_every_glyph_position_equal_the_pdfs(ofd_dist, publication):
    for name in FIXED:
        pdf_pages = pdf_glyphs(ofd_dist / publication / f"{name}.pdf")
        ofd_pages = ofd_glyphs(ofd_dist / publication / f"{name}.ofd")
        assert len(ofd_pages) == len(pdf_pages)
        for number, (pdf_page, ofd_page) in enumerate(zip(pdf_pages, ofd_pages, strict=True), start=1):
            pdf_order, ofd_order = reading_order(pdf_page), reading_order(ofd_page)
            assert "".join(g[0] for g in ofd_order) == "".join(g[0] for g in pdf_order), (name, number)
            along_line = 0
            for index, (in_pdf, in_ofd) in enumerate(zip(pdf_order, ofd_order, strict=True)):
                same_line = index > 0 and abs(in_pdf[2] - pdf_order[index - 1][2]) < 0.1
                along_line = along_line + 1 if same_line else 0
                drift = along_line * in_pdf[3] / 1000
                assert abs(in_pdf[2] - in_ofd[2]) < POSITION_TOLERANCE_PT, (name, number, in_pdf, in_ofd)
                assert abs(in_pdf[1] - in_ofd[1]) < POSITION_TOLERANCE_PT + drift, (name, number, in_pdf, in_ofd)


def test_fonts_are_the_pdfs_faces_embedded_and_cut(ofd_dist):
    from fontTools.ttLib import TTFont

    for publication, name, pdf, ofd in pairs(ofd_dist):
        package = OfdPackage(ofd)
        fonts = package.fonts()
        pdf_families = {face.family for face in embedded_faces(pdf)}
        assert {font["family"] for font in fonts.values()} == pdf_families, (publication, name)
        used: dict[int, set[str]] = {}
        for page in package.pages():
            for item in page.texts:
                used.setdefault(item.font, set()).update(item.text)
        for font_id, font in fonts.items():
            assert font["data"], "every font program is embedded"
            program = TTFont(io.BytesIO(font["data"]))
            assert program["name"].getDebugName(6) == font["name"]
            cmap = program.getBestCmap()
            assert {char for char in used.get(font_id, set()) if char.strip()} <= {chr(code) for code in cmap}
        assert (
            sum(len(font["data"]) for font in fonts.values())
            < sum(len(face.program) for face in embedded_faces(pdf)) * 1.5
        )


def test_the_red_mark_and_rule_are_red_and_the_rules_are_paths(ofd_dist):
    red = " ".join(str(int(gbt9704.RED[index : index + 2], 16)) for index in (1, 3, 5))
    package = OfdPackage(ofd_dist / "masthead" / "briefing.ofd")
    first = package.pages()[0]
    mark = [item.text for item in first.texts if item.fill == red]
    assert "".join(mark) == "中央第十巡视组文件"
    rules = [path for path in first.paths if path.fill == red]
    assert len(rules) == 1 and rules[0].box[2] == pytest.approx(156, abs=0.01)
    last = package.pages()[-1]
    black_rules = [path for path in last.paths if path.fill == "0 0 0" and path.box[2] == pytest.approx(156, abs=0.01)]
    assert len(black_rules) == 3, "版记: two outer rules and one inner"


def test_the_document_parts_are_tagged_and_described(ofd_dist):
    package = OfdPackage(ofd_dist / "masthead" / "briefing.ofd")
    seed = yaml.safe_load(SEED_CONTENT.read_text(encoding="utf-8"))
    tags = package.tags()
    assert tags["发文机关标志"] == ["中央第十巡视组文件"]
    assert tags["发文字号"] == [MASTHEAD["number"]]
    assert tags["标题"] == [squeeze(seed["title"])]
    assert tags["发文机关署名"] == [seed["issuer"]]
    assert tags["成文日期"] == ["2015年3月2日"]
    assert "".join(tags["抄送机关"]).count("中央纪委办公厅") == 1
    assert tags["印发机关"] == [MASTHEAD["printed_by"]]
    assert tags["印发日期"][0].startswith("2015年3月2日")
    assert len(tags["页码"][0]) > 0 and len(package.pages()) == len(tags["页码"][0].split("—")) // 2
    assert list(tags["一级标题"])[0].startswith("一、")
    body = tags["正文"][0]
    assert tags["副标题"] == [squeeze(seed["subtitle"])]
    assert body.startswith("一、会议概况") and "原标题" not in body and seed["issuer"] + "2015年3月2日" not in body
    info = package.info
    assert info["Title"] == seed["title"] and info["Author"] == seed["issuer"]
    assert info["CreationDate"] == "2015-03-02" and len(info["DocID"]) == 32
    assert package.entry.find(".//ofd:CustomData[@Name='发文字号']", NS).text == MASTHEAD["number"]
    outline = package.document.find("ofd:Outlines/ofd:OutlineElem", NS)
    assert outline.get("Title") == squeeze(seed["title"])
    assert len(outline.findall("ofd:OutlineElem", NS)) == len(
        [s for s in seed["briefing"]["sections"] if s.get("heading")]
    )
    notice = OfdPackage(ofd_dist / "seed" / "notice.ofd").tags()
    assert notice["发文机关署名"] == [seed["notice"]["team"]] and "页码" not in notice


def ink(image: Image.Image) -> Image.Image:
    return image.point(lambda value: 255 if value < 128 else 0).convert("1")


def far_ink(one: Image.Image, other: Image.Image) -> float:
    """The share of `one`'s ink pixels with no ink of `other` within one pixel."""
    near = ink(other.filter(ImageFilter.MinFilter(3)))
    mine = ink(one)
    far = ImageChops.logical_and(mine, ImageChops.invert(near))
    return far.convert("L").histogram()[255] / max(1, mine.convert("L").histogram()[255])


@pytest.mark.browser  # ofd.js in Chromium
def test_an_independent_reader_draws_the_ofds_like_the_pdfs(ofd_dist, tmp_path):
    """ofd.js (not part of gongwen) parses and draws each OFD in Chromium; poppler draws the PDF at the same size."""
    missing = reader_missing()
    if missing:
        pytest.skip(missing)
    items = list(pairs(ofd_dist))
    drawn = render_with_ofdjs([ofd for *_, ofd in items], PIXELS_PER_MM)
    worst = 0.0
    for (publication, name, pdf, _), rendered in zip(items, drawn, strict=True):
        width, height = rendered.size
        assert (width, height) == (round(210 * PIXELS_PER_MM), round(297 * PIXELS_PER_MM))
        prefix = tmp_path / f"{publication}-{name}"
        subprocess.run(
            ["pdftoppm", "-png", "-gray", "-scale-to-x", str(width), "-scale-to-y", str(height), str(pdf), str(prefix)],
            check=True,
        )
        pdf_pngs = sorted(tmp_path.glob(f"{publication}-{name}-*.png"))
        assert len(rendered.pngs) == len(pdf_pngs), (publication, name)
        with pdfplumber.open(pdf) as document:
            pdf_texts = ["".join(char["text"] for char in page.chars) for page in document.pages]
        for number, (png, pdf_png, text, pdf_text) in enumerate(
            zip(rendered.pngs, pdf_pngs, rendered.texts, pdf_texts, strict=True), start=1
        ):
            assert squeeze(text) == squeeze(pdf_text), (publication, name, number)
            ofd_image = Image.open(io.BytesIO(png)).convert("L")
            pdf_image = Image.open(pdf_png).convert("L")
            assert ofd_image.size == pdf_image.size
            shares = far_ink(ofd_image, pdf_image), far_ink(pdf_image, ofd_image)
            worst = max(worst, *shares)
            assert max(shares) < FAR_INK, (publication, name, number, shares)
    print(f"ofd.js vs poppler: at most {worst:.1%} of ink pixels more than 1 px apart")


def test_rebuilds_give_the_same_bytes_and_dates_follow_source_date_epoch(small_project):
    first = run_cli("build", "-q", "-o", "one", "--format", "ofd", "content", cwd=small_project)
    second = run_cli("build", "-q", "-o", "two", "--format", "ofd", "--force", "content", cwd=small_project)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    for name in FIXED:
        assert (small_project / "one" / "small" / f"{name}.ofd").read_bytes() == (
            small_project / "two" / "small" / f"{name}.ofd"
        ).read_bytes()
    assert not (small_project / "one" / "small" / "briefing.pdf").exists(), "formats = [ofd] makes no PDF"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1425340800"}  # 2015-03-03
    third = run_cli("build", "-q", "-o", "three", "--format", "ofd", "content", cwd=small_project, env=env)
    assert third.returncode == 0, third.stderr
    before = OfdPackage(small_project / "one" / "small" / "briefing.ofd").info
    after = OfdPackage(small_project / "three" / "small" / "briefing.ofd").info
    assert (before["CreationDate"], after["CreationDate"]) == ("2015-03-02", "2015-03-03")
    assert before["DocID"] != after["DocID"]


def test_formats_and_the_ofd_writer_rebuild_the_ofds_only(small_project, monkeypatch):
    content = small_project / "content"
    output = small_project / "out"

    def built(formats: tuple[str, ...]) -> list[str]:
        names: list[str] = []
        configuration = load_configuration(content, {"output": str(output), "formats": formats})
        events = BuildEvents(built=lambda _, written: names.extend(path.name for path in written.paths))
        report = build([content], configuration, jobs=1, events=events)
        assert report.problems == []
        return sorted(names)

    assert built(("pdf",)) == ["briefing.pdf", "notice.pdf", "summary.docx"]
    pdf_before = (output / "small" / "briefing.pdf").read_bytes()
    assert built(("pdf", "ofd")) == ["briefing.ofd", "notice.ofd"]
    assert built(("pdf", "ofd")) == []
    assert built(("ofd", "pdf")) == [], "the order of formats is no input"
    monkeypatch.setattr(incremental, "_ofd_writer_digest", lambda: "another writer")
    assert built(("pdf", "ofd")) == ["briefing.ofd", "notice.ofd"]
    assert (output / "small" / "briefing.pdf").read_bytes() == pdf_before
    assert built(("pdf",)) == [], "dropping a format leaves the others up to date"


UNDRAWABLE = {
    "opacity on div": "opacity: 0.5",
    "a transform on div": "transform: rotate(3deg)",
    "z-index on div": "position: relative; z-index: 1",
    "overflow: hidden on div": "overflow: hidden; height: 10pt",
    "text-decoration on div": "text-decoration: underline",
    "an outline on div": "outline: 1pt solid red",
    "box-shadow on div": "box-shadow: 2pt 2pt red",
    "border-radius on div": "border: 1pt solid red; border-radius: 3pt",
}


@pytest.mark.parametrize("what", list(UNDRAWABLE))
def test_what_the_ofd_cannot_draw_is_one_line_not_a_different_document(small_project, what):
    """A template's style the OFD's records cannot carry (the PDF draws it) stops that OFD with one line, rather
    than an OFD that silently differs from the PDF; with formats = ["pdf"] the same template builds."""
    templates = small_project / "tpl"
    templates.mkdir()
    notice = (builtin_templates() / "notice.html.j2").read_text(encoding="utf-8")
    changed = notice.replace('<h1 class="title', f'<div style="{UNDRAWABLE[what]}">注</div><h1 class="title', 1)
    assert changed != notice
    (templates / "notice.html.j2").write_text(changed, encoding="utf-8")
    result = run_cli("build", "-q", "-o", "out", "--templates", "tpl", "--format", "ofd", "content", cwd=small_project)
    assert result.returncode == 1
    assert f"notice.html.j2: the OFD writer cannot draw {what} yet" in result.stderr.splitlines()[0], result.stderr
    pdf_only = run_cli("build", "-q", "-o", "out2", "--templates", "tpl", "content", cwd=small_project)
    assert pdf_only.returncode == 0, pdf_only.stderr
