"""`gongwen diff ID`: the edited summary against gongwen's version of it — the fresh file beside it, or the summary
made now — paragraph by paragraph and row by row, so that edits can be carried over by hand."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import docx
from helpers import invoke, small_content

from pipeline.summary_diff import Item, compare, diff_lines, summary_items


def test_paragraphs_are_aligned_and_numbered_in_their_own_document():
    fresh = [Item(f"¶{number}", "Normal", text) for number, text in enumerate("ABCDE", start=1)]
    edited = [Item(f"¶{number}", "Normal", text) for number, text in enumerate(["A", "B2", "C", "X", "D", "E"], 1)]
    lines = diff_lines(compare(fresh, edited), "fresh.docx", "edited.docx")
    assert lines == [
        "--- fresh.docx",
        "+++ edited.docx",
        "@@ fresh ¶1, edited ¶1 @@",
        "  ¶1 A",
        "- ¶2 B",
        "+ ¶2 B2",
        "  ¶3 C",
        "+ ¶4 X",
        "  ¶5 D",
    ]
    assert diff_lines(compare(fresh, fresh), "a", "b") == []


def test_a_changed_style_is_a_change_and_is_shown():
    fresh, edited = [Item("¶1", "Normal", "一、基本情况")], [Item("¶1", "Heading 1", "一、基本情况")]
    assert [change.item.shown() for group in compare(fresh, edited) for change in group] == [
        "¶1 一、基本情况",
        "¶1 [Heading 1] 一、基本情况",
    ]


def edit(path, change) -> None:
    document = docx.Document(str(path))
    change(document)
    document.save(str(path))


def test_a_summary_that_was_not_edited_has_nothing_to_compare(built_small_project):
    result = invoke("diff", "small", "-o", "out", cwd=built_small_project)
    assert (result.returncode, result.stdout) == (
        0,
        "out/small/summary.docx: holds what gongwen built: no edit to compare\n",
    )


def test_an_edit_of_the_current_summary_is_compared_with_the_summary_made_now(built_small_project):
    project = built_small_project
    summary = project / "out" / "small" / "summary.docx"
    edit(summary, lambda document: document.add_paragraph("编辑补充的一段。"))
    count = len(docx.Document(str(summary)).paragraphs)
    result = invoke("diff", "small", "-o", "out", cwd=project)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "--- content/small.yaml (gongwen's summary, made now)",
        "+++ out/small/summary.docx (edited by hand)",
    ]
    assert lines[-1] == f"+ ¶{count} 编辑补充的一段。" and sum(line.startswith(("+", "-")) for line in lines[2:]) == 1


def test_after_a_rebuild_the_fresh_file_is_compared_rows_of_tables_included(built_small_project):
    project = built_small_project
    summary = project / "out" / "small" / "summary.docx"

    def change(document) -> None:
        document.tables[0].rows[1].cells[1].text = "中国通用技术（集团）控股有限责任公司"

    edit(summary, change)
    (project / "content" / "small.yaml").write_text(small_content(title="中央巡视组召开动员会（二）"), encoding="utf-8")
    assert invoke("build", "-o", "out", "content", cwd=project).returncode == 0
    result = invoke("diff", "small", "-o", "out", "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["fresh"] == "out/small/summary.fresh.docx (gongwen's, rebuilt beside the edit)"
    assert [(change["change"], change["fresh"], change["edited"], change["text"]) for change in found["changes"]] == [
        ("removed", "¶1", None, "中央巡视组召开动员会（二）"),
        ("added", None, "¶1", "中央巡视组召开动员会"),  # the content changed since the edit: carried over, not an edit
        ("removed", "table 1 row 2", None, "被巡视单位 | 中国通用技术集团公司"),
        ("added", None, "table 1 row 2", "被巡视单位 | 中国通用技术（集团）控股有限责任公司"),
    ]


def test_an_unknown_publication_is_one_line(built_small_project):
    result = invoke("diff", "nosuch", "-o", "out", cwd=built_small_project)
    assert result.returncode == 1
    assert result.stderr == "nosuch: no publication nosuch in out/manifest.json; `gongwen status` lists them\n"


def test_merged_cells_are_read_once(tmp_path):
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "合并"
    table.cell(1, 0).text, table.cell(1, 1).text, table.cell(1, 2).text = "甲", "乙", "丙"
    data = io.BytesIO()
    document.save(data)
    assert [item.text for item in summary_items(data.getvalue()) if item.label.startswith("table")] == [
        "合并",
        "甲 | 乙 | 丙",
    ]


def test_diff_loads_no_pdf_engine_even_when_it_makes_the_summary(built_small_project):
    edit(built_small_project / "out" / "small" / "summary.docx", lambda document: document.add_paragraph("补充。"))
    probe = (
        "import sys; from pipeline.cli import main; sys.argv = ['gongwen', 'diff', 'small', '-o', 'out']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('weasyprint' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=built_small_project, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.splitlines()[-2:] == ["+ ¶9 补充。", "False"], result.stderr
