"""Reading produced OFD packages back: their XML parts (our own reading), and their pages drawn by an
independent reader, ofd.js, in Chromium."""

from __future__ import annotations

import base64
import os
import posixpath
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

NS = {"ofd": "http://www.ofdspec.org/2016"}
ROOT = Path(__file__).resolve().parent.parent
OFDJS = Path(os.environ.get("GONGWEN_OFDJS", ROOT / ".venv" / "npm" / "ofd.js" / "lib" / "ofd.umd.min.js"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MM_PER_PT = 25.4 / 72


def deltas(value: str | None) -> list[float]:
    """A DeltaX array, with `g N value` runs expanded (GB/T 33190 table 46)."""
    if not value:
        return []
    tokens = value.split()
    out: list[float] = []
    index = 0
    while index < len(tokens):
        if tokens[index] == "g":
            out.extend([float(tokens[index + 2])] * int(tokens[index + 1]))
            index += 3
        else:
            out.append(float(tokens[index]))
            index += 1
    return out


@dataclass
class TextObject:
    id: int
    text: str
    xs: list[float]  # mm, each character's origin on the page
    baseline: float  # mm
    size: float  # mm
    font: int
    fill: str | None
    glyph_transforms: int


@dataclass
class PathObject:
    id: int
    box: tuple[float, float, float, float]  # mm
    fill: str | None


@dataclass
class OfdPage:
    id: int
    texts: list[TextObject]
    paths: list[PathObject]

    @property
    def text(self) -> str:
        ordered = sorted(self.texts, key=lambda item: (round(item.baseline, 1), item.xs[0]))
        return "".join(item.text for item in ordered)


class OfdPackage:
    def __init__(self, path: Path):
        self.path = path
        self.zip = zipfile.ZipFile(path)
        self.names = self.zip.namelist()
        self.entry = self.xml("OFD.xml")
        doc_root = self.entry.findtext("ofd:DocBody/ofd:DocRoot", namespaces=NS)
        assert doc_root
        self.doc_root = doc_root.lstrip("/")
        self.document = self.xml(self.doc_root)
        self.base = posixpath.dirname(self.doc_root)

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.zip.read(name))

    def resolve(self, location: str, base: str) -> str:
        return location.lstrip("/") if location.startswith("/") else posixpath.normpath(posixpath.join(base, location))

    @property
    def info(self) -> dict[str, str]:
        info = self.entry.find("ofd:DocBody/ofd:DocInfo", NS)
        return {etree.QName(child).localname: (child.text or "") for child in info}

    def fonts(self) -> dict[int, dict[str, object]]:
        found = {}
        for location in self.document.findall("ofd:CommonData/ofd:PublicRes", NS):
            name = self.resolve(location.text, self.base)
            res = self.xml(name)
            folder = self.resolve(res.get("BaseLoc", ""), posixpath.dirname(name))
            for font in res.findall("ofd:Fonts/ofd:Font", NS):
                file = font.findtext("ofd:FontFile", namespaces=NS)
                found[int(font.get("ID"))] = {
                    "name": font.get("FontName"),
                    "family": font.get("FamilyName"),
                    "bold": font.get("Bold") == "true",
                    "data": self.zip.read(self.resolve(file, folder)) if file else None,
                }
        return found

    def pages(self) -> list[OfdPage]:
        pages = []
        for page in self.document.findall("ofd:Pages/ofd:Page", NS):
            content = self.xml(self.resolve(page.get("BaseLoc"), self.base))
            texts, paths = [], []
            for text in content.iter(f"{{{NS['ofd']}}}TextObject"):
                x0, y0, _, _ = map(float, text.get("Boundary").split())
                code = text.find("ofd:TextCode", NS)
                chars = list(code.text or "")
                steps = deltas(code.get("DeltaX"))
                xs = [x0 + float(code.get("X", 0))]
                for step in steps[: len(chars) - 1]:
                    xs.append(xs[-1] + step)
                fill = text.find("ofd:FillColor", NS)
                texts.append(
                    TextObject(
                        int(text.get("ID")),
                        "".join(chars),
                        xs,
                        y0 + float(code.get("Y", 0)),
                        float(text.get("Size")),
                        int(text.get("Font")),
                        fill.get("Value") if fill is not None else None,
                        len(text.findall("ofd:CGTransform", NS)),
                    )
                )
            for path in content.iter(f"{{{NS['ofd']}}}PathObject"):
                fill = path.find("ofd:FillColor", NS)
                box = tuple(map(float, path.get("Boundary").split()))
                paths.append(PathObject(int(path.get("ID")), box, fill.get("Value") if fill is not None else None))
            pages.append(OfdPage(int(page.get("ID")), texts, paths))
        return pages

    def tags(self) -> dict[str, list[str]]:
        """Each custom tag's text, in the order of its object references (the document's parts by name)."""
        location = self.document.findtext("ofd:CustomTags", namespaces=NS)
        if not location:
            return {}
        listing_name = self.resolve(location, self.base)
        listing = self.xml(listing_name)
        texts = {item.id: item.text for page in self.pages() for item in page.texts}
        tags: dict[str, list[str]] = {}
        for tag in listing.findall("ofd:CustomTag", NS):
            file = self.resolve(tag.findtext("ofd:FileLoc", namespaces=NS), posixpath.dirname(listing_name))
            for element in self.xml(file):
                name = etree.QName(element).localname
                refs = element.findall("ofd:ObjectRef", NS)
                tags.setdefault(name, []).append("".join(texts.get(int(ref.text), "") for ref in refs))
        return tags


def reader_missing() -> str | None:
    """Why ofd.js cannot run here, or None."""
    if not OFDJS.is_file():
        return f"ofd.js is not installed at {OFDJS} (make test installs it)"
    if not Path(CHROMIUM).exists():
        return "Chromium is not installed (make test installs Debian's chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@dataclass
class Rendered:
    """What ofd.js drew: a PNG per page, and the text of each page's SVG text elements in drawing order."""

    pngs: list[bytes]
    texts: list[str]
    size: tuple[int, int]


def render_with_ofdjs(paths: list[Path], pixels_per_mm: float) -> list[Rendered]:
    """Each OFD drawn by ofd.js in headless Chromium at `pixels_per_mm` (ofd.js rounds it to 0.1)."""
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--font-render-hinting=none",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1800})
            page.set_content(
                '<!DOCTYPE html><html><body style="margin:0;background:#fff"><div id="pages"></div></body></html>'
            )
            page.add_script_tag(path=str(OFDJS))
            for path in paths:
                info = page.evaluate(
                    """async ([b64, scale]) => {
                      const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
                      const docs = await new Promise((resolve, reject) =>
                        ofd.parseOfdDocument({ofd: bytes.buffer, success: resolve, fail: reject}));
                      ofd.setPageScale(scale);
                      const divs = ofd.renderOfdByScale(docs[0]);
                      const host = document.getElementById('pages');
                      host.replaceChildren(...divs);
                      await document.fonts.ready;
                      return divs.map((div, index) => {
                        div.id = 'page-' + index;
                        div.style.marginBottom = '0';
                        return Array.from(div.querySelectorAll('text')).map(t => t.textContent).join('');
                      });
                    }""",
                    [base64.b64encode(path.read_bytes()).decode(), pixels_per_mm],
                )
                pngs = []
                size = (0, 0)
                for index in range(len(info)):
                    element = page.locator(f"#page-{index}")
                    box = element.bounding_box()
                    size = (round(box["width"]), round(box["height"]))
                    pngs.append(element.screenshot())
                results.append(Rendered(pngs, info, size))
        finally:
            browser.close()
    return results


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)
