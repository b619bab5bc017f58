"""The published schema and the README's field tables are generated from the model and kept in step."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from helpers import ROOT, SEED_CONTENT, invoke

from pipeline.content.load import read_source
from pipeline.content.model import content_json_schema
from pipeline.content.nodes import Mapping, Sequence
from pipeline.fields import field_reference_markdown, generated_parts
from pipeline.template_reference import template_reference_markdown


def test_published_json_schema_is_current():
    published = json.loads((ROOT / "pipeline" / "content-schema.json").read_text(encoding="utf-8"))
    assert published == content_json_schema(), "run `make schema` and commit pipeline/content-schema.json"


def test_readme_field_tables_are_current():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    between = re.search(r"<!-- fields:start -->\n(.*)<!-- fields:end -->", readme, re.S)
    assert between is not None
    assert between.group(1) == field_reference_markdown(), "regenerate with `gongwen schema --format markdown`"


def as_yaml_12(node):
    """A node tree as a YAML 1.2 editor sees it: 8:00 and dates are strings, 1 is a number."""
    if isinstance(node, Mapping):
        return {key.text: as_yaml_12(value) for key, value in node.items}
    if isinstance(node, Sequence):
        return [as_yaml_12(item) for item in node.items]
    if not node.quoted and re.fullmatch(r"[0-9]+", node.text):
        return int(node.text)
    if not node.quoted and node.text in ("true", "false"):
        return node.text == "true"
    return node.text


def test_json_schema_accepts_the_seed_and_rejects_mistakes():
    validator = jsonschema.Draft202012Validator(content_json_schema())
    seed = as_yaml_12(read_source(SEED_CONTENT).root)
    assert list(validator.iter_errors(seed)) == []
    wrong = json.loads(json.dumps(seed))
    wrong["notice"]["hours"] = {"start": "8点", "end": "20:00"}
    wrong["isuer"] = "x"
    assert len(list(validator.iter_errors(wrong))) >= 2


def quick_start() -> list[str]:
    """The commands of the README's quick start, in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    return [line for line in re.search(r"```sh\n(.*?)```", section, re.S).group(1).splitlines() if line.strip()]


def test_readme_quick_start_builds_then_tests():
    assert quick_start()[:2] == ["make build", "make test"]


@pytest.mark.parametrize("command", ["make build", "make test"])
def test_each_quick_start_command_is_a_makefile_target(command):
    """What the README tells a reader to run exists: a target of that name, declared phony."""
    assert command in quick_start()
    target = command.removeprefix("make ")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(rf"^{re.escape(target)}:", makefile, re.M), f"no `{target}:` rule in the Makefile"
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M)
    assert phony is not None and target in phony.group(1).split()


def test_make_schema_would_change_nothing_in_the_readme():
    """`make schema` (`python -m pipeline.fields README.md`) writes every generated part between its markers."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert generated_parts(readme) == readme, "run `make schema` and commit README.md"
    assert invoke("schema", "--format", "templates").stdout == template_reference_markdown()


def test_the_readme_map_of_the_code_names_every_module():
    """ "How the code is laid out" names each module of the package where it says what it does: a module added
    without a line there fails here (a package listed as a folder names each of its modules)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How the code is laid out", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", section, flags=re.S)))
    package = ROOT / "pipeline"
    missing = []
    for module in sorted(package.rglob("*.py")):
        relative = module.relative_to(package)
        if module.name in ("__init__.py", "__main__.py"):
            continue
        folder = f"{relative.parent.as_posix()}/"
        if relative.as_posix() not in named and not (folder in named and module.stem in named):
            missing.append(relative.as_posix())
    assert missing == [], f"README.md, How the code is laid out: add {missing}"
