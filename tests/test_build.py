"""Building through the command line: what it prints, what it writes, and what a failure leaves alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from helpers import invoke, small_content
from pdfread import missing_glyphs

from pipeline import workers
from pipeline.build import build
from pipeline.config import load_configuration

ARTIFACTS = ("briefing.pdf", "summary.docx", "notice.pdf")


def digests(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def test_build_prints_what_it_wrote(seed_built):
    project, result = seed_built  # `gongwen build content/seed.yaml -o out` in a project of its own
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["built seed: out/seed/ (briefing.pdf, summary.docx, notice.pdf)", "1 built"]
    assert sorted(path.name for path in (project / "out").iterdir()) == ["SHA256SUMS", "manifest.json", "seed"]


def test_failed_publication_leaves_earlier_artifacts_and_no_temporary_files(built_seed_project):
    project = built_seed_project
    seed, out = project / "content" / "seed.yaml", project / "out"
    before = digests(out / "seed")
    text = seed.read_text(encoding="utf-8")
    # U+E000 is a private-use character no face draws.
    seed.write_text(text.replace("scope: 中央巡视组主要受理", "scope: 中央巡视组\ue000主要受理"), encoding="utf-8")
    result = invoke("build", str(seed), "-o", str(out), cwd=project)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    line_number = next(number for number, line in enumerate(text.splitlines(), 1) if line.startswith("  scope:"))
    assert lines == [
        f"content/seed.yaml:{line_number}:15: notice.scope: the body font (Noto Serif CJK SC Regular) "
        'has no glyph for U+E000; use another character or set fonts.body to a font that has it (got "\\ue000")'
    ]
    assert digests(out / "seed") == before
    assert [path.name for path in (out / "seed").iterdir() if path.name.startswith(".")] == []


def test_one_bad_publication_does_not_stop_the_others(seed_copy):
    project = seed_copy.parent.parent
    bad = seed_copy.parent / "bad.yaml"
    bad.write_text(
        seed_copy.read_text(encoding="utf-8").replace("date: 2015-03-02", "date: 2015-02-30"), encoding="utf-8"
    )
    result = invoke("build", "-o", "out", "content", cwd=project)
    assert result.returncode == 1
    assert "content/bad.yaml:" in result.stderr and ": date: not a real date" in result.stderr
    assert result.stdout.splitlines()[-1] == "1 built, 1 refused"
    assert sorted(path.name for path in (project / "out" / "seed").iterdir()) == sorted(ARTIFACTS)


def test_missing_glyph_detector_sees_a_notdef(tmp_path):
    """The check used on our PDFs really fails when a glyph is missing."""
    import weasyprint

    pdf = tmp_path / "missing.pdf"
    weasyprint.HTML(string='<html lang="zh-CN"><body>中文\U0010fffd</body></html>').write_pdf(pdf)
    assert any(text == "\U0010fffd" for _, _, text in missing_glyphs(pdf))


@pytest.mark.parametrize("changed", ["a.yaml", "_defaults.yaml"])
def test_a_content_file_saved_while_the_build_runs_is_not_made_from_text_it_did_not_fingerprint(
    tmp_path, monkeypatch, changed
):
    """The build fingerprints a file's bytes, then a worker makes it: saved in between, the worker's bytes are not
    the fingerprinted ones, so it is refused with one line (made from them, it would be recorded under the old
    fingerprint, and undoing the edit would leave it stale and called up to date). The next build makes it."""
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.yaml").write_text(small_content(title="甲单位召开动员会"), encoding="utf-8")
    (content / "b.yaml").write_text(small_content(title="乙单位召开动员会"), encoding="utf-8")
    (content / "_defaults.yaml").write_text("note: 第一版\n", encoding="utf-8")
    real = workers.make_all

    def saved_meanwhile(jobs, configuration, count, started=None):
        with (content / changed).open("a", encoding="utf-8") as stream:
            stream.write("# 保存于构建之中\n")
        return real(jobs, configuration, count, started)

    configuration = load_configuration(tmp_path, {"output": str(tmp_path / "out")})
    monkeypatch.setattr(workers, "make_all", saved_meanwhile)
    report = build([content / "a.yaml", content / "b.yaml"], configuration, jobs=1)
    message = "the file changed while the build was running; build again to make it from what it holds now"
    if changed == "a.yaml":
        assert [(problem.where.path, problem.message) for problem in report.problems] == [
            (str(content / "a.yaml"), message)
        ]
        assert report.built == ["b"]
    else:  # both inherit the defaults
        assert {problem.message for problem in report.problems} == {message} and report.built == []
    monkeypatch.setattr(workers, "make_all", real)
    again = build([content / "a.yaml", content / "b.yaml"], configuration, jobs=1)
    assert again.problems == [] and sorted(again.built) == (["a"] if changed == "a.yaml" else ["a", "b"])
