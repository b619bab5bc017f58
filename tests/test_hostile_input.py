"""Hostile and broken input, a corpus: refused with exit 1, one located line per problem, no traceback, nothing written;
or, for text that looks like markup, templates or URLs, printed literally in all three outputs and never fetched.

The refused cases run the command line in this process (click's test runner: the same `main`, its
own error handling, without a process start per case); a few of them also run as real processes
to show the two agree. The seed mistakes that `test_content_errors.py` checks are part of the corpus.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from subprocess import PIPE

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE
from helpers import ROOT, SEED, SEED_MISTAKES, invoke, small_content
from pdfread import comparable, decompressed_streams, type_area_text

from pipeline.build import build
from pipeline.config import load_configuration
from pipeline.content import MAX_FILE_BYTES
from pipeline.word.structure import read_structure
from pipeline.word.writer import write_summary

SMALL = small_content()
BAD = "content/bad.yaml"


@dataclass(frozen=True)
class Case:
    """Files to put into a project (text is written as UTF-8, bytes as they are), the command and the first line
    expected."""

    files: dict[str, str | bytes]
    expected: str  # a regular expression for the whole first line of the error output
    arguments: tuple[str, ...] = ("-o", "out", "content")
    env: dict[str, str] = field(default_factory=dict)
    lines: int | None = 1  # how many lines; None when it depends on the case (at least one)
    links: dict[str, str] = field(default_factory=dict)  # symbolic links to make: where → what they point to


def located(field_path: str, message: str, where: str = r"\d+:\d+") -> str:
    return rf"{re.escape(BAD)}:{where}: {re.escape(field_path)}: {re.escape(message)}.*"


def at(where: str, message: str, path: str = BAD) -> str:
    """A problem of the file as a whole (`where` empty) or of a place that has no field."""
    return rf"{re.escape(path)}{':' + where if where else ''}: {re.escape(message)}.*"


def small(old: str, new: str) -> dict[str, str]:
    assert old in SMALL, old
    return {BAD: SMALL.replace(old, new, 1)}


def content(text: str | bytes) -> dict[str, str | bytes]:
    return {BAD: text}


def template(name: str, source: str | bytes, **more: str) -> dict:
    return {BAD: SMALL, f"templates/{name}": source, **{f"templates/{other}": text for other, text in more.items()}}


WITH_TEMPLATES = ("-o", "out", "--templates", "templates", "content")
BRIEFING = "briefing.html.j2"
EXTENDS = '{% extends "builtin/briefing.html.j2" %}\n{% block content %}\n'
BOMB = "".join(
    f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9 if level else ["lol"] * 9) + "]\n" for level in range(9)
)

OUTSIDE = "../outside/secret.txt"  # a file beside the project, which no template may read
SECRET = "机密：模板不得读取此文件"
WITH_REFERENCE = ("-o", "out", "--reference-doc", "ref.docx", "content")
REFERENCE = ROOT / "templates" / "reference.docx"


def reference_doc(change=None, **added: bytes) -> bytes:
    """The built-in reference document with each part passed through `change(name, bytes)` (None drops it), and
    parts added."""
    out = io.BytesIO()
    with zipfile.ZipFile(REFERENCE) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            data = change(name, data) if change else data
            if data is not None:
                target.writestr(name, data)
        for name, data in added.items():
            target.writestr(name, data)
    return out.getvalue()


def without_part(part: str, references: bytes | None = None):
    """A change that drops a part, its relationship and its content type (and the references to it, if given)."""

    def change(name: str, data: bytes) -> bytes | None:
        if part in name and not name.endswith(".rels"):
            return None
        if name in ("word/_rels/document.xml.rels", "[Content_Types].xml"):
            return re.sub(rb"<(Relationship|Override) [^>]*" + re.escape(part.encode()) + rb"[^>]*/>", b"", data)
        if references and name == "word/document.xml":
            return re.sub(references, b"", data)
        return data

    return change


def with_attached_template(name: str, data: bytes) -> bytes:
    """settings.xml pointing at a template on a server, as Word saves a document based on one."""
    if name == "word/settings.xml":
        return data.replace(b"</w:settings>", b'<w:attachedTemplate r:id="rIdTemplate"/></w:settings>')
    return data


ATTACHED_TEMPLATE_RELATIONSHIPS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rIdTemplate" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'attachedTemplate" Target="http://templates.example/normal.dotm" TargetMode="External"/></Relationships>'
)
ZEROS = bytes(40 << 20)  # 40 MiB of zeros pack into 40 KB: a small zip bomb


REFUSED: dict[str, Case] = {
    # Malformed YAML
    "unclosed quote": Case(
        small("title: 中央巡视组召开动员会", 'title: "中央巡视组召开动员会'), at(r"\d+:\d+", "not valid YAML")
    ),
    "mapping in a plain value": Case(
        small("issuer: 中央第十巡视组", "issuer: 中央: 第十巡视组"), at(r"\d+:\d+", "not valid YAML")
    ),
    "tab indentation": Case(
        small("  team: 中央第十巡视组", "\tteam: 中央第十巡视组"), at(r"\d+:\d+", "not valid YAML")
    ),
    "unclosed flow list": Case(
        small("    - {type: phone, value: 010-68334749}", "    - [phone, 010"), at(r"\d+:\d+", "not valid YAML")
    ),
    "several documents": Case(
        content(SMALL + "---\n" + SMALL), at(r"\d+:\d+", "the file holds more than one YAML document")
    ),
    "a list at the top": Case(
        content("- title: 中央巡视组召开动员会\n"), at("1:1", "the file must hold a mapping of fields, not a list")
    ),
    "a scalar at the top": Case(
        content("中央巡视组召开动员会\n"), at("1:1", "the file must hold a mapping of fields, not text")
    ),
    "a field name that is a list": Case(
        content("? [a, b]\n: c\n" + SMALL), at("1:3", "a field name must be plain text")
    ),
    "nesting 5000 levels deep": Case(
        small("title: 中央巡视组召开动员会", "title: " + "[" * 5000 + "]" * 5000), at(r"2:\d+", "not valid YAML")
    ),
    "nesting 999 levels deep": Case(
        small("title: 中央巡视组召开动员会", "title: " + "[" * 999 + "]" * 999),
        at(r"2:39", "nested more than 32 levels deep"),
    ),
    # Wrong types
    "title as a mapping": Case(
        small("title: 中央巡视组召开动员会", "title: {text: 动员会}"), located("title", "expected text, not a mapping")
    ),
    "sections as text": Case(
        small(
            "  sections:\n    - heading: 会议概况\n      paragraphs:\n"
            "        - 根据中央统一部署，巡视组近日进驻开展专项巡视工作。",
            "  sections: 会议概况",
        ),
        located("briefing.sections", "expected a list of mappings, not text"),
    ),
    "date as a number": Case(
        small("date: 2015-03-02", "date: 20150302"), located("date", "expected a date written YYYY-MM-DD")
    ),
    "period as a list": Case(
        small("  period: {start: 2015-03-01, end: 2015-04-30}", "  period: [2015-03-01, 2015-04-30]"),
        located("notice.period", "expected a mapping of fields, not a list"),
    ),
    "schema written 010": Case(small("schema: 1", "schema: 010"), located("schema", "expected one of 1", "1:9")),
    "no as a boolean": Case(
        small("schema: 1", "schema: 1\noptions: {normalize_punctuation: no}"),
        located("options.normalize_punctuation", "expected true or false"),
    ),
    "a Chinese language tag expected": Case(
        small("schema: 1", "schema: 1\nlang: en"), located("lang", "must be a Chinese language tag")
    ),
    # Missing, empty and unknown fields
    "no title": Case(small("title: 中央巡视组召开动员会\n", ""), located("title", "missing required field", "1:1")),
    "no notice": Case(content(SMALL.split("notice:")[0]), located("notice", "missing required field", "1:1")),
    "a channel without value": Case(
        small("{type: phone, value: 010-68334749}", "{type: phone}"),
        located("notice.channels[0].value", "missing required field"),
    ),
    "a null title": Case(small("title: 中央巡视组召开动员会", "title:"), located("title", "expected text, not null")),
    "an empty title": Case(small("title: 中央巡视组召开动员会", 'title: ""'), located("title", "must not be empty")),
    "a blank paragraph": Case(
        small("        - 根据中央统一部署，巡视组近日进驻开展专项巡视工作。", '        - "   "'),
        located("briefing.sections[0].paragraphs[0]", "must not be empty"),
    ),
    "an unknown nested field": Case(
        small("  unit: 中国通用技术集团公司", "  unit: 中国通用技术集团公司\n  uint: 中国通用技术集团公司"),
        located("notice.uint", "unknown field; did you mean 'unit'?"),
    ),
    # Duplicate keys, anchors, aliases, tags
    "a duplicate field": Case(
        small("issuer: 中央第十巡视组\n", "issuer: 中央第十巡视组\nissuer: 另一个机关\n"),
        located("issuer", "duplicate field; it was already given at line 3", "4:1"),
    ),
    "a duplicate nested field": Case(
        small("  team: 中央第十巡视组\n", "  team: 中央第十巡视组\n  team: 另一个组\n"),
        located("team", "duplicate field; it was already given at line"),
    ),
    "an alias": Case(
        small("issuer: 中央第十巡视组", "issuer: &organ 中央第十巡视组\nnote: *organ"),
        at(r"3:9", "YAML anchors (&name) are not accepted"),
        lines=2,
    ),
    "a merge key": Case(
        content("base: &base {team: 中央第十巡视组}\n" + SMALL.replace("notice:\n", "notice:\n  <<: *base\n")),
        at(r"1:7", "YAML anchors (&name) are not accepted"),
        lines=None,
    ),
    "an alias bomb": Case(content(BOMB + SMALL), at("1:5", "YAML anchors (&name) are not accepted"), lines=6),
    "a python tag": Case(
        small("title: 中央巡视组召开动员会", 'title: !!python/object/apply:os.system ["id"]'),
        at(r"\d+:8", "YAML tags are not accepted, except core ones such as !!str"),
        lines=None,
    ),
    "a local tag": Case(
        small("title: 中央巡视组召开动员会", "title: !secret 中央巡视组召开动员会"),
        at(r"\d+:8", "YAML tags are not accepted, except core ones such as !!str"),
    ),
    # Dates, periods and hours
    "29 February 2015": Case(small("date: 2015-03-02", "date: 2015-02-29"), located("date", "not a real date")),
    "month 13": Case(small("date: 2015-03-02", "date: 2015-13-02"), located("date", "not a real date")),
    "a date without zeros": Case(
        small("date: 2015-03-02", "date: 2015-3-2"), located("date", "expected a date written YYYY-MM-DD")
    ),
    "a date in Chinese": Case(
        small("date: 2015-03-02", "date: 2015年3月2日"), located("date", "expected a date written YYYY-MM-DD")
    ),
    "24:00": Case(
        small("end: 20:00", "end: 24:00"), located("notice.hours.ranges[0].end", "expected a time written HH:MM")
    ),
    "8:60": Case(
        small("start: 8:00", "start: 8:60"), located("notice.hours.ranges[0].start", "expected a time written HH:MM")
    ),
    "full-width digits": Case(
        small("start: 8:00", "start: ８:００"), located("notice.hours.ranges[0].start", "expected a time")
    ),
    "hours 8点 to 20点": Case(
        small("{start: 8:00, end: 20:00}", "{start: 8点, end: 20点}"),
        located("notice.hours.ranges[0].start", "expected a time written HH:MM"),
        lines=2,
    ),
    # Empty, oversized and wrongly encoded files
    "an empty file": Case(content(""), at("", "the file is empty")),
    "comments only": Case(content("# 标题\n\n   \n# 完\n"), at("", "the file is empty")),
    "a document marker only": Case(content("---\n...\n"), at("", "the file is empty")),
    "GBK": Case(content(SMALL.encode("gbk")), at(r"2:8", "the file is not UTF-8 (it looks like GBK/GB18030")),
    "UTF-16 with a byte-order mark": Case(content(SMALL.encode("utf-16")), at("", "the file is UTF-16 little-endian")),
    "UTF-16 big-endian with a byte-order mark": Case(
        content(b"\xfe\xff" + SMALL.encode("utf-16-be")), at("", "the file is UTF-16 big-endian")
    ),
    "UTF-16 without a byte-order mark": Case(
        content(SMALL.encode("utf-16-le")),
        at(r"\d+:\d+", "the file is not UTF-8 (it looks like UTF-16 without a byte-order mark)"),
    ),
    "UTF-32": Case(content(SMALL.encode("utf-32")), at("", "the file is UTF-32")),
    "Latin-1": Case(content("title: caf\xe9\n".encode("latin-1")), at("1:11", "the file is not UTF-8")),
    "an encoded surrogate": Case(
        content(SMALL.replace("动员会", "动员\ud800会", 1).encode("utf-8", "surrogatepass")),
        at(r"2:\d+", "the file is not UTF-8"),
    ),
    "over the size limit": Case(
        content(SMALL + "# " + "填" * (MAX_FILE_BYTES // 3) + "\n"),
        at("", f"the file is larger than the limit of {MAX_FILE_BYTES // 1024} KiB"),
    ),
    # Characters documents cannot hold
    "NUL written as an escape": Case(
        small("title: 中央巡视组召开动员会", r'title: "中央\x00巡视组"'),
        located("title", "contains the control character U+0000, which documents cannot hold", "2:8"),
    ),
    "a lone surrogate written as an escape": Case(
        small("title: 中央巡视组召开动员会", r'title: "中央\ud800巡视组"'),
        at("2:13", "not valid YAML: while parsing a quoted scalar found invalid Unicode"),
    ),
    "U+FFFE written as an escape": Case(
        small("  scope: 中央巡视组主要受理来信来电来访。", r'  scope: "受理\ufffe范围"'),
        located("notice.scope", "contains the control character U+FFFE"),
    ),
    "U+FFFF written as an escape": Case(
        small("  scope: 中央巡视组主要受理来信来电来访。", r'  scope: "受理\uffff范围"'),
        located("notice.scope", "contains the control character U+FFFF"),
    ),
    "ESC written as an escape": Case(
        small("issuer: 中央第十巡视组", r'issuer: "中央\e[31m第十巡视组"'),
        located("issuer", "contains the control character U+001B"),
    ),
    "vertical tab written as an escape": Case(
        small("issuer: 中央第十巡视组", r'issuer: "中央\v第十巡视组"'),
        located("issuer", "contains the control character U+000B"),
    ),
    "a right-to-left override typed raw, which would reverse the printed text": Case(
        small("issuer: 中央第十巡视组", "issuer: 中央\u202e第十巡视组"),
        located("issuer", "contains the invisible format character U+202E, which documents do not show"),
    ),
    "a soft hyphen written as an escape": Case(
        small("  scope: 中央巡视组主要受理来信来电来访。", r'  scope: "受理\xad范围"'),
        located("notice.scope", "contains the invisible format character U+00AD"),
    ),
    "a raw control character": Case(
        small("issuer: 中央第十巡视组", "issuer: 中央\x01第十巡视组"),
        at("3:11", "not valid YAML: the character U+0001 is not allowed"),
    ),
    "a raw DEL": Case(
        small("issuer: 中央第十巡视组", "issuer: 中央\x7f第十巡视组"),
        at("3:11", "not valid YAML: the character U+007F"),
    ),
    # Names, ids, paths
    "two files for one id": Case(
        {
            BAD: SMALL.replace("schema: 1", "schema: 1\nid: same"),
            "content/other.yaml": SMALL.replace("schema: 1", "schema: 1\nid: same"),
        },
        at(r"\d+:\d+", "id: two publications would share dist/same/", "content/other.yaml"),
    ),
    "a file name that is no id": Case(
        {"content/Bad Name.yaml": SMALL}, at("", "id: the file name is not a valid id", "content/Bad Name.yaml")
    ),
    "a content path that does not exist": Case(
        {}, at("", "no such file or folder", "content/missing.yaml"), arguments=("-o", "out", "content/missing.yaml")
    ),
    # User templates
    "a template syntax error": Case(
        template(BRIEFING, EXTENDS + "{% if %}\n{% endblock %}\n"),
        at("3", "template syntax error", f"templates/{BRIEFING}"),
        WITH_TEMPLATES,
    ),
    "a missing included template": Case(
        template(BRIEFING, EXTENDS + '{% include "nothere.html.j2" %}\n{% endblock %}\n'),
        at("3", "template not found: nothere.html.j2", f"templates/{BRIEFING}"),
        WITH_TEMPLATES,
    ),
    "a missing base template": Case(
        template(BRIEFING, '{% extends "builtin/nothere.html.j2" %}\n'),
        at("1", "template not found: builtin/nothere.html.j2", f"templates/{BRIEFING}"),
        WITH_TEMPLATES,
    ),
    "a misspelt variable": Case(
        template(BRIEFING, EXTENDS + "{{ publication.titel }}\n{% endblock %}\n"),
        at(
            "3",
            "template error: 'pipeline.content.model.Publication object' has no attribute 'titel'",
            f"templates/{BRIEFING}",
        ),
        WITH_TEMPLATES,
    ),
    "a class walk": Case(
        template(BRIEFING, EXTENDS + "{{ ''.__class__.__mro__ }}\n{% endblock %}\n"),
        at(
            "3",
            "template not allowed: access to attribute '__class__' of 'str' object is unsafe",
            f"templates/{BRIEFING}",
        ),
        WITH_TEMPLATES,
    ),
    "a function's globals": Case(
        template(BRIEFING, EXTENDS + "{{ lipsum.__globals__['os'] }}\n{% endblock %}\n"),
        at("3", "template not allowed: access to attribute '__globals__'", f"templates/{BRIEFING}"),
        WITH_TEMPLATES,
    ),
    "a format-string escape": Case(
        template(BRIEFING, EXTENDS + '{{ "{0.__class__}".format(publication) }}\n{% endblock %}\n'),
        at("3", "template not allowed: access to attribute '__class__'", f"templates/{BRIEFING}"),
        WITH_TEMPLATES,
    ),
    "changing a list": Case(
        template(BRIEFING, EXTENDS + "{% set items = [] %}{{ items.append(1) }}\n{% endblock %}\n"),
        at(
            "3",
            "template not allowed: access to attribute 'append' of 'list' object is unsafe",
            f"templates/{BRIEFING}",
        ),
        WITH_TEMPLATES,
    ),
    "a huge range": Case(
        template(BRIEFING, EXTENDS + "{% for i in range(10000000) %}{% endfor %}\n{% endblock %}\n"),
        at("3", "template error: OverflowError: Range too big", f"templates/{BRIEFING}"),
        WITH_TEMPLATES,
    ),
    "a huge string": Case(
        template(BRIEFING, EXTENDS + '{{ "x" * 100000000 }}\n{% endblock %}\n'),
        at("3", "template not allowed: repeating 1 items 100000000 times is too large", f"templates/{BRIEFING}"),
        WITH_TEMPLATES,
    ),
    "a huge power": Case(
        template(BRIEFING, EXTENDS + "{{ 10 ** 100000000 }}\n{% endblock %}\n"),
        at("3", "template not allowed: 10 ** 100000000 is too large", f"templates/{BRIEFING}"),
        WITH_TEMPLATES,
    ),
    "a division by zero": Case(
        template(BRIEFING, EXTENDS + "{{ 1 / 0 }}\n{% endblock %}\n"),
        at("3", "template error: ZeroDivisionError: division by zero", f"templates/{BRIEFING}"),
        WITH_TEMPLATES,
    ),
    "a stylesheet with a syntax error": Case(
        template("gongwen.css.j2", "{% for font in fonts %}\n"),
        at("1", "template syntax error: Unexpected end of template", "templates/gongwen.css.j2"),
        WITH_TEMPLATES,
    ),
    "a template folder that is not there": Case(
        {BAD: SMALL, "gongwen.toml": 'templates = "nowhere"\n'},
        at("", "templates: template folder not found", "gongwen.toml"),
    ),
    # Output paths and the build environment
    "an output path through a regular file": Case(
        {BAD: SMALL, "blocker": "a file"},
        at("", "cannot create the output folder: blocker is a file, not a folder", "blocker/dist"),
        ("-o", "blocker/dist", "content"),
    ),
    "an output folder that is a file": Case(
        {BAD: SMALL, "gongwen.toml": 'output = "blocker"\n', "blocker": "a file"},
        at("", "cannot create the output folder: blocker is a file", "blocker"),
        ("content",),
    ),
    "a publication folder that is a file": Case(
        {BAD: SMALL, "out/bad": "a file"}, at("", "cannot create the output folder: out/bad is a file", "out/bad")
    ),
    "an artifact path that is a folder": Case(
        {BAD: SMALL, "out/bad/notice.pdf/x": "x"},
        at("", "cannot write: a folder or other non-file is in the way", "out/bad/notice.pdf"),
    ),
    "an unknown configuration key": Case(
        {BAD: SMALL, "gongwen.toml": 'outptu = "x"\n'},
        at("1:1", "outptu: unknown field; did you mean 'output'?", "gongwen.toml"),
    ),
    "a PDF variant that does not exist": Case(
        {BAD: SMALL, "gongwen.toml": 'pdf_variant = "pdf/a-9z"\n'},
        at("1:1", "pdf_variant: expected one of pdf/a-1b", "gongwen.toml"),
    ),
    "SOURCE_DATE_EPOCH that is no number": Case(
        content(SMALL),
        at("", "must be a whole number of seconds", "SOURCE_DATE_EPOCH"),
        env={"SOURCE_DATE_EPOCH": "yesterday"},
    ),
    # Limits, and values nobody expected (issue 11)
    "an id of 300 characters": Case(
        small("schema: 1", "schema: 1\nid: " + "a" * 300), located("id", "must be at most 100 characters", "2:5")
    ),
    "a file name of 120 characters": Case(
        {f"content/{'a' * 120}.yaml": SMALL},
        at("", "id: the file name is not a valid id", f"content/{'a' * 120}.yaml"),
    ),
    "a _defaults.yaml over the size limit": Case(
        {BAD: SMALL, "content/_defaults.yaml": "# " + "填" * (MAX_FILE_BYTES // 3) + "\n"},
        at("", f"the file is larger than the limit of {MAX_FILE_BYTES // 1024} KiB", "content/_defaults.yaml"),
    ),
    "jobs written with 5000 digits": Case(
        {BAD: SMALL, "gongwen.toml": "jobs = " + "9" * 5000 + "\n"},
        r"\S*gongwen\.toml: not valid TOML: a number longer than Python reads \(4300 digits\)",
    ),
    "more jobs than any machine has cores": Case(
        {BAD: SMALL, "gongwen.toml": "jobs = 100000\n"}, at("1:1", "jobs: must be from 1 to 256", "gongwen.toml")
    ),
    "a time limit of nothing": Case(
        {BAD: SMALL, "gongwen.toml": "time_limit = 0\n"},
        at("1:1", "time_limit: must be from 1 to 86400 seconds", "gongwen.toml"),
    ),
    "a font collection index that is no number": Case(
        {BAD: SMALL, "gongwen.toml": 'fonts.body = ["/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc#abc"]\n'},
        at("", "fonts.body: after # comes the number of a face in the collection, such as #2", "gongwen.toml"),
    ),
    "SOURCE_DATE_EPOCH written as a superscript two": Case(
        content(SMALL),
        at("", "must be a whole number of seconds", "SOURCE_DATE_EPOCH"),
        env={"SOURCE_DATE_EPOCH": "²"},
    ),
    "SOURCE_DATE_EPOCH after the year 9999": Case(
        content(SMALL),
        at("", "must be at most 253402300799 (9999-12-31 23:59:59 UTC)", "SOURCE_DATE_EPOCH"),
        env={"SOURCE_DATE_EPOCH": "99999999999999"},
    ),
    # Templates that reach outside, or write what documents cannot hold
    "an include of a link to a file outside the template folders": Case(
        {**template(BRIEFING, EXTENDS + '{% include "leak.txt" %}\n{% endblock %}\n'), OUTSIDE: SECRET},
        at("3", "template not allowed: leak.txt leads outside the template folders", f"templates/{BRIEFING}"),
        WITH_TEMPLATES,
        links={"templates/leak.txt": "../../outside/secret.txt"},
    ),
    "an include through a linked folder": Case(
        {**template(BRIEFING, EXTENDS + '{% include "shared/secret.txt" %}\n{% endblock %}\n'), OUTSIDE: SECRET},
        at("3", "template not allowed: shared/secret.txt leads outside the template folders", f"templates/{BRIEFING}"),
        WITH_TEMPLATES,
        links={"templates/shared": "../../outside"},
    ),
    "a template that is not UTF-8": Case(
        template("summary.html.j2", "<h1>café</h1>\n".encode("latin-1")),
        at("1:8", "the file is not UTF-8", "templates/summary.html.j2"),
        WITH_TEMPLATES,
    ),
    "a control character written by the summary template": Case(
        template("summary.html.j2", '<h1>{{ "a\\x01b" }}</h1>\n'),
        at("", "the template wrote the control character U+0001 (line 1, column 6", "templates/summary.html.j2"),
        WITH_TEMPLATES,
    ),
    "a control character written by a PDF template": Case(
        template(
            "notice.html.j2",
            '{% extends "builtin/notice.html.j2" %}{% block document_title %}{{ "\\x1b[31m" }}{% endblock %}\n',
        ),
        at("", "the template wrote the control character U+001B", "templates/notice.html.j2"),
        WITH_TEMPLATES,
    ),
    "a last paragraph the summary template leaves open": Case(
        template("summary.html.j2", "<h1>{{ publication.title }}</h1>\n<p>{{ publication.summary.points[0] }}\n"),
        at("2:1", "<p> is never closed: its text would be lost", "templates/summary.html.j2"),
        WITH_TEMPLATES,
    ),
    # Reference documents that are bombs or point outside
    "a reference document with a part that unpacks to 40 MiB": Case(
        {BAD: SMALL, "ref.docx": reference_doc(**{"word/media/zeros.bin": ZEROS})},
        at("", 'the part "word/media/zeros.bin" of the reference document unpacks to 40 MiB', "ref.docx"),
        WITH_REFERENCE,
    ),
    "a reference document that unpacks to 80 MiB in parts of 20": Case(
        {BAD: SMALL, "ref.docx": reference_doc(**{f"word/media/{n}.bin": ZEROS[: 20 << 20] for n in range(4)})},
        at("", "the reference document unpacks to more than the limit of 64 MiB", "ref.docx"),
        WITH_REFERENCE,
    ),
    "a reference document attached to a template on a server": Case(
        {
            BAD: SMALL,
            "ref.docx": reference_doc(
                with_attached_template, **{"word/_rels/settings.xml.rels": ATTACHED_TEMPLATE_RELATIONSHIPS}
            ),
        },
        at(
            "",
            "/word/settings.xml of the reference document has an external relationship (attachedTemplate to "
            '"http://templates.example/normal.dotm")',
            "ref.docx",
        ),
        WITH_REFERENCE,
    ),
}
for name, (old, new, field_path, message, _) in SEED_MISTAKES.items():
    REFUSED[f"seed: {name}"] = Case(
        content(SEED.replace(old, new, 1)),
        rf"{re.escape(BAD)}:\d+:\d+: {re.escape(field_path)}: .*{re.escape(message)}.*",
    )


# ---- running a case ----


def tree(folder: Path) -> dict[str, tuple]:
    """Every entry under `folder` with its kind, bytes' hash and modification time: any write shows."""
    entries = {}
    for root, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(root) / name
            stat = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
            entries[path.relative_to(folder).as_posix()] = (stat.st_mode, stat.st_size, stat.st_mtime_ns, digest)
    return entries


@pytest.fixture(scope="module")
def earlier_output(tmp_path_factory) -> Path:
    """A good build made before the hostile one: it must survive untouched."""
    project = tmp_path_factory.mktemp("earlier")
    (project / "content").mkdir()
    (project / "content" / "earlier.yaml").write_text(SMALL, encoding="utf-8")
    report = build([project / "content"], load_configuration(project, {"output": str(project / "out")}))
    assert report.problems == []
    return project / "out"


def prepare(case: Case, project: Path, earlier_output: Path) -> Path:
    project.mkdir()
    shutil.copytree(earlier_output, project / "out")
    for relative, data in case.files.items():
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    for relative, target in case.links.items():
        (project / relative).symlink_to(target)
    (project / "content").mkdir(exist_ok=True)
    return project


def check_refusal(case: Case, exit_code: int, stdout: str, stderr: str) -> None:
    assert "Traceback" not in stderr
    assert exit_code == 1, stderr
    # the count line only, the refused counted; none when the build stopped before it found any content file
    assert re.fullmatch(r"((?:\d+ up to date, )?\d+ refused\n)?", stdout), stdout
    lines = stderr.splitlines()
    assert re.fullmatch(case.expected, lines[0]), lines
    if case.lines is not None:
        assert len(lines) == case.lines, lines
    for line in lines:  # one line per problem, each starting with where it is
        assert re.match(r"^[^:\s]+(:\d+(:\d+)?)?: ", line) or line.startswith(
            ("content/Bad Name.yaml:", "SOURCE_DATE_EPOCH:")
        ), line


@pytest.mark.parametrize("name", list(REFUSED))
def test_hostile_input_is_refused_in_one_located_line_and_nothing_is_written(tmp_path, earlier_output, name):
    case = REFUSED[name]
    project = prepare(case, tmp_path / "project", earlier_output)
    before = tree(project)
    result = invoke("build", *case.arguments, cwd=project, env=case.env)  # an uncaught exception fails the test
    check_refusal(case, result.returncode, result.stdout, result.stderr)
    assert tree(project) == before


@pytest.mark.parametrize("manifest", ["{not json", '{"artifacts": ["bad/notice.pdf"]}'])
def test_a_damaged_manifest_vouches_for_no_file_so_each_in_place_is_kept_as_an_edit(tmp_path, earlier_output, manifest):
    case = Case({BAD: SMALL, "out/manifest.json": manifest, "out/bad/notice.pdf": "a notice"}, "")
    project = prepare(case, tmp_path / "project", earlier_output)
    result = invoke("build", *case.arguments, cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("out/bad/notice.pdf: edited by hand, so it is kept as it is; the rebuilt one is ")
    assert (project / "out" / "bad" / "notice.pdf").read_text() == "a notice"
    assert (project / "out" / "bad" / "notice.fresh.pdf").read_bytes().startswith(b"%PDF-")


IN_REAL_PROCESSES = (
    "GBK",
    "a lone surrogate written as an escape",
    "an alias bomb",
    "a class walk",
    "an output path through a regular file",
)


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory, earlier_output) -> dict[str, tuple[Path, dict, subprocess.CompletedProcess]]:
    """Those cases through the real command line, each in a process of its own, side by side: the project, its
    files before, and how the process ended."""
    started = {}
    for name in IN_REAL_PROCESSES:
        case = REFUSED[name]
        project = prepare(case, tmp_path_factory.mktemp("real") / "project", earlier_output)
        before = tree(project)
        command = [sys.executable, "-m", "pipeline", "build", *case.arguments]
        process = subprocess.Popen(
            command, cwd=project, env={**os.environ, **case.env}, stdout=PIPE, stderr=PIPE, text=True
        )
        started[name] = (project, before, command, process)
    runs = {}
    for name, (project, before, command, process) in started.items():
        stdout, stderr = process.communicate(timeout=600)
        runs[name] = (project, before, subprocess.CompletedProcess(command, process.returncode, stdout, stderr))
    return runs


@pytest.mark.parametrize("name", IN_REAL_PROCESSES)
def test_the_real_command_line_agrees(real_runs, name):
    project, before, result = real_runs[name]
    check_refusal(REFUSED[name], result.returncode, result.stdout, result.stderr)
    assert tree(project) == before


def test_the_corpus_is_large_enough():
    """At least 40 hostile inputs, no two alike: a case copied under another name would count without testing more."""

    def as_bytes(data: str | bytes) -> bytes:
        return data if isinstance(data, bytes) else data.encode("utf-8")

    inputs = {
        (
            tuple(sorted((path, as_bytes(data)) for path, data in case.files.items())),
            case.arguments,
            tuple(sorted(case.env.items())),
            tuple(sorted(case.links.items())),
        )
        for case in REFUSED.values()
    }
    assert len(inputs) == len(REFUSED)
    assert len(inputs) >= 40


# ---- text that looks like markup, templates or URLs is printed as typed ----

LITERALS = {
    "script": "<script>alert('x')</script>",
    "style end": "</style><style>body { display: none }</style>",
    "image of a local file": '<img src="file:///etc/hostname">',
    "attachment": '<link rel="attachment" href="file:///etc/hostname">',
    "jinja expression": "{{ 7*7 }}",
    "jinja statement": "{% for x in range(3) %}循环{% endfor %}",
    "jinja comment": "{# 注释 #}",
    "file URL": "file:///etc/passwd",
    "http URL": "http://{server}/leak",
    "data URL": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "entities": "&lt;b&gt; &amp; &#x41;",
    "comment and CDATA end": "<!-- 注释 --> ]]>",
}


@pytest.fixture(scope="module")
def literal_build(tmp_path_factory):
    """One build of one publication per literal, through the command line, with a server that must see nothing."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()  # polled for shutdown
    address = f"127.0.0.1:{server.server_address[1]}"
    project = tmp_path_factory.mktemp("literals")
    (project / "content").mkdir()
    texts = {}
    for number, (name, literal) in enumerate(LITERALS.items()):
        text = literal.replace("{server}", address)
        texts[name] = (f"p{number}", text)
        quoted = json.dumps(text, ensure_ascii=False)
        source = small_content(
            title=json.dumps("标题" + text, ensure_ascii=False),
            paragraph=quoted,
            scope=json.dumps("受理" + text, ensure_ascii=False),
        )
        source += "options: {normalize_punctuation: false}\n"
        (project / "content" / f"p{number}.yaml").write_text(source, encoding="utf-8")
    result = invoke("build", "-q", "-o", "out", "content", cwd=project)
    server.shutdown()
    server.server_close()
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return project / "out", texts, seen


@pytest.mark.parametrize("name", list(LITERALS))
def test_markup_templates_and_urls_in_text_print_literally_everywhere(literal_build, name):
    out, texts, requests = literal_build
    folder, text = texts[name]
    expected = comparable(text)
    for pdf in ("briefing.pdf", "notice.pdf"):
        assert expected in comparable(type_area_text(out / folder / pdf)), pdf
    summary = docx.Document(str(out / folder / "summary.docx"))
    # The title breaks its lines where the briefing does: a manual break, which takes the place of a space it falls on.
    written = [paragraph.text.replace("\n", joint) for paragraph in summary.paragraphs for joint in ("", " ")]
    written += [cell.text for table in summary.tables for row in table.rows for cell in row.cells]
    assert "标题" + text in written and "受理" + text in written
    assert requests == []


@pytest.mark.parametrize("name", ["image of a local file", "attachment", "file URL"])
def test_a_local_file_named_in_text_is_printed_not_embedded(literal_build, name):
    out, texts, _ = literal_build
    folder, _ = texts[name]
    passwd = Path("/etc/passwd").read_bytes()[:64]
    for pdf in ("briefing.pdf", "notice.pdf"):
        streams = decompressed_streams(out / folder / pdf)
        assert not any(passwd in stream for stream in streams)
        assert not any(b"/EmbeddedFiles" in stream or b"/Subtype /Image" in stream for stream in streams)
        assert b"/EmbeddedFiles" not in (out / folder / pdf).read_bytes()


def test_the_seed_with_an_image_tag_in_a_paragraph_prints_the_tag(seed_copy):
    tag = '<img src="file:///etc/hostname">'
    text = seed_copy.read_text(encoding="utf-8")
    seed_copy.write_text(
        text.replace("        - 根据中央统一部署,", f"        - {tag}根据中央统一部署,", 1), encoding="utf-8"
    )
    project = seed_copy.parent.parent
    result = invoke("build", "-q", "-o", "out", "content", cwd=project)
    assert result.returncode == 0, result.stderr
    briefing = project / "out" / "seed" / "briefing.pdf"
    assert comparable(tag) in comparable(type_area_text(briefing))
    streams = decompressed_streams(briefing)
    assert not any(b"/Subtype /Image" in stream or b"/EmbeddedFiles" in stream for stream in streams)


# ---- valid or merely unusual input builds, and stops nothing ----


def test_a_title_over_255_characters_builds_with_the_others(tmp_path):
    """Word's core properties hold 255 characters: the summary's property is cut there, the documents hold it all."""
    (tmp_path / "content").mkdir()
    for name in ("a", "m-long", "z"):
        title = "题" * 300 if name == "m-long" else "中央巡视组召开动员会"
        (tmp_path / "content" / f"{name}.yaml").write_text(small_content(title=title), encoding="utf-8")
    result = invoke("build", "-q", "-o", "out", "content", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    summary = docx.Document(str(tmp_path / "out" / "m-long" / "summary.docx"))
    assert summary.core_properties.title == "题" * 254 + "…"
    assert summary.paragraphs[0].text.replace("\n", "") == "题" * 300  # broken into lines where the PDF breaks it
    assert sorted(path.name for path in (tmp_path / "out").iterdir() if path.is_dir()) == ["a", "m-long", "z"]


UNUSUAL_REFERENCES = {
    "without section properties": reference_doc(
        lambda name, data: (
            re.sub(rb"<w:sectPr.*</w:sectPr>", b"", data, flags=re.S) if name == "word/document.xml" else data
        )
    ),
    "without footers": reference_doc(without_part("footer", rb"<w:footerReference[^>]*/>")),
    "with footer references to parts it lacks": reference_doc(without_part("footer")),
    "without a font table": reference_doc(without_part("fontTable")),
    "without numbering": reference_doc(without_part("numbering")),
}
SUMMARY_MARKUP = (
    "<h1>中央巡视组召开动员会</h1><ol><li>第一项</li></ol><p>正文。</p><ol><li>第二项</li></ol>"
    '<p class="signature">中央第十巡视组</p><p class="date">2015年3月2日</p>'
)


@pytest.mark.parametrize("name", list(UNUSUAL_REFERENCES))
def test_a_summary_is_written_on_an_unusual_reference_document(tmp_path, name):
    """Each of these stopped every summary with a traceback; the summary now has what the writer sets itself: A4,
    footers with page numbers, a font table, and a second list numbered where the reference numbers lists.
    Its title and author (over 255 characters) are cut in the core properties only."""
    reference = tmp_path / "ref.docx"
    reference.write_bytes(UNUSUAL_REFERENCES[name])
    data = write_summary(
        read_structure(SUMMARY_MARKUP, "summary.html.j2"),
        reference,
        title="题" * 300,
        author="组" * 300,
        created=datetime.datetime(2015, 3, 2, tzinfo=datetime.UTC),
        font_names={"body": "仿宋"},
    )
    summary = docx.Document(io.BytesIO(data))
    [section] = summary.sections
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert "PAGE" in section.footer._element.xml and "PAGE" in section.even_page_footer._element.xml
    assert "仿宋" in summary.part.part_related_by(RELATIONSHIP_TYPE.FONT_TABLE).blob.decode("utf-8")
    assert summary.core_properties.author == "组" * 254 + "…"
    assert [paragraph.text for paragraph in summary.paragraphs][:3] == ["中央巡视组召开动员会", "第一项", "正文。"]
