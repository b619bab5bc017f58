"""`gongwen preview` in a real headless browser: the page follows each save, shows an error in place beside the
last good render, and comes back when the error is fixed.

Chromium (Debian's `chromium`, which `make test` installs) or Chrome is driven through Playwright's
Python package, pointed at the installed browser (Playwright's own browser downloads are not used).
Without a browser the test says so and skips. Set GONGWEN_SCREENSHOT=FILE to keep the screenshot
it takes (the README's is `tests/screenshots/preview.png`).
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SEED_CONTENT, run_cli

pytestmark = pytest.mark.browser

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STEP_MS = 30_000  # each step waits this long at most; a save shows in well under a second
SCREENSHOT_VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOT_COLOURS = 64  # the screenshot's palette: text, greys and the red mark, under 150 KB


def installed_browser() -> str | None:
    configured = os.environ.get("GONGWEN_BROWSER")
    if configured:
        return configured
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser():
    executable = installed_browser()
    if executable is None:
        pytest.skip("no Chromium or Chrome on this machine (Debian: apt-get install chromium; or set GONGWEN_BROWSER)")
    from playwright.sync_api import sync_playwright  # the test extra's; missing it beside a browser is a failure

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def preview_process(tmp_path):
    """`gongwen preview` on a copy of the seed, in a project whose output folder is out/."""
    project = tmp_path / "project"
    (project / "content").mkdir(parents=True)
    shutil.copy(SEED_CONTENT, project / "content" / "seed.yaml")
    (project / "gongwen.toml").write_text('output = "out"\n', encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "preview", "--port", "0", "content/seed.yaml"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    assert " at http://127.0.0.1:" in line, line + process.stderr.read()
    yield project, line.split(" at ", 1)[1].strip()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def sources(page, artifact: str) -> list[str]:
    return page.eval_on_selector_all(f'[data-artifact="{artifact}"] .pages img', "images => images.map(i => i.src)")


def wait_for_new_pages(page, artifact: str, before: list[str]) -> list[str]:
    """Waits until the artifact's page images differ from `before` and have all loaded."""
    page.wait_for_function(
        """([artifact, before]) => {
            const images = Array.from(document.querySelectorAll(`[data-artifact="${artifact}"] .pages img`));
            return images.length > 0 && images.every((image) => image.complete && image.naturalWidth > 0)
                && JSON.stringify(images.map((image) => image.src)) !== JSON.stringify(before);
        }""",
        arg=[artifact, before],
        timeout=STEP_MS,
    )
    return sources(page, artifact)


def wait_for_summary(page, text: str) -> None:
    page.wait_for_function(
        "(text) => document.querySelector('.summary').textContent.includes(text)", arg=text, timeout=STEP_MS
    )


def test_the_page_follows_edits_shows_errors_in_place_and_recovers(browser, preview_process, tmp_path):
    project, url = preview_process
    content = project / "content" / "seed.yaml"
    page = browser.new_page(viewport=SCREENSHOT_VIEWPORT)
    console = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.goto(url)
    page.wait_for_selector('body[data-state="ok"]', timeout=60_000)
    notice, briefing = sources(page, "notice.pdf"), sources(page, "briefing.pdf")
    assert len(notice) == 1 and len(briefing) >= 3
    assert "中央巡视组召开中国通用技术集团公司动员会" in page.inner_text(".summary")
    assert page.eval_on_selector_all("#files a", "links => links.map(a => a.textContent)") == [
        "briefing.pdf",
        "summary.docx",
        "notice.pdf",
    ]

    # An edit of the notice shows in the notice (and the summary), and leaves the briefing's pages alone.
    edit(content, "scope: 中央巡视组主要受理", "scope: 中央巡视组主要受理群众")
    notice = wait_for_new_pages(page, "notice.pdf", notice)
    wait_for_summary(page, "主要受理群众")
    page.wait_for_selector('body[data-state="ok"]', timeout=STEP_MS)
    assert sources(page, "briefing.pdf") == briefing

    # An edit of the briefing shows in the briefing.
    edit(content, "根据中央统一部署", "根据中央的统一部署")
    briefing = wait_for_new_pages(page, "briefing.pdf", briefing)

    # A mistake: the command line's lines appear on the page, beside the last good render.
    edit(content, "start: 8:00", "start: 8点")
    page.wait_for_selector('body[data-state="error"]', timeout=STEP_MS)
    shown = page.inner_text("#problem-lines").splitlines()
    check = run_cli("check", "content/seed.yaml", cwd=project)
    assert shown == check.stderr.splitlines() and shown[0].startswith("content/seed.yaml:")
    assert page.is_visible("#problems")
    assert sources(page, "notice.pdf") == notice and sources(page, "briefing.pdf") == briefing
    assert page.eval_on_selector_all(".artifact.stale", "sections => sections.length") == 3
    broken = tmp_path / "broken.png"
    page.screenshot(path=str(broken))

    # Fixed: the render is back and the error gone.
    edit(content, "start: 8点", "start: 8:00")
    page.wait_for_selector('body[data-state="ok"]', timeout=STEP_MS)
    assert not page.is_visible("#problems")
    assert page.eval_on_selector_all(".artifact.stale", "sections => sections.length") == 0
    assert sources(page, "notice.pdf") == notice and sources(page, "briefing.pdf") == briefing

    # A last edit, caught in the README's screenshot.
    edit(content, "2015年3月1日下午", "2015年3月1日下午3时")
    wait_for_summary(page, "下午3时")
    page.wait_for_selector('body[data-state="ok"]', timeout=STEP_MS)
    screenshot(page, tmp_path / "preview.png")
    assert console == [], console  # no script error, no refused resource, no 404
    assert not (project / "out").exists()


def screenshot(page, path: Path) -> None:
    """The page as a person sees it, in a small palette PNG; kept where GONGWEN_SCREENSHOT says."""
    from PIL import Image

    picture = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    picture = picture.quantize(SCREENSHOT_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    picture.save(path, optimize=True)
    assert path.stat().st_size < 150_000
    kept = os.environ.get("GONGWEN_SCREENSHOT")
    if kept:
        shutil.copy(path, kept)
