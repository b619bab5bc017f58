"""The README's template variables are generated from the code and held to it: the names each template really
receives, the filters and functions the environment really has, and every variable and attribute the built-in
templates use are the ones documented."""

from __future__ import annotations

import jinja2
import pytest
from helpers import ROOT, repository_configuration, small_content
from jinja2 import nodes

from pipeline.config import builtin_templates
from pipeline.content.model import load_publication
from pipeline.render import documents
from pipeline.render.templates import template_environment
from pipeline.template_reference import (
    HELPERS,
    RECEIVES,
    documented_names,
    template_reference_markdown,
    undocumented_fields,
)
from pipeline.typeset import gbt9704
from pipeline.typeset.gbt9704 import TextGrid
from pipeline.typeset.subset import FontFile


def test_the_readme_holds_the_generated_reference():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    part = readme.split("<!-- templates:start -->\n", 1)[1].split("<!-- templates:end -->", 1)[0]
    assert part == template_reference_markdown(), "run `make schema` and commit README.md"


def test_the_declared_helpers_are_the_environment_s_own_filters_and_functions():
    environment, plain = template_environment(), jinja2.Environment()
    own = (set(environment.filters) - set(plain.filters)) | (set(environment.globals) - set(plain.globals))
    assert {helper.name for helper in HELPERS} == own
    assert all(helper.meaning for helper in HELPERS)


@pytest.fixture(scope="module")
def received(tmp_path_factory) -> dict[str, set[str]]:
    """The names each template was given while a publication was made, caught on their way in."""
    from pipeline.publisher import Publisher

    folder = tmp_path_factory.mktemp("received")
    (folder / "unit.yaml").write_text(small_content(), encoding="utf-8")
    caught: dict[str, set[str]] = {}
    real = documents.render_template

    def catching(environment, name, context, fallback):
        caught.setdefault(name, set()).update(context)
        return real(environment, name, context, fallback)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(documents, "render_template", catching)
        Publisher(repository_configuration()).artifacts(load_publication(folder / "unit.yaml"))
    return caught


def test_each_template_receives_exactly_the_declared_names(received):
    assert set(received) == set(RECEIVES) - {"base.html.j2"}  # the base is rendered through what extends it
    for name, names in received.items():
        assert names == {variable.name for variable in RECEIVES[name]}, name


def used_paths(source: str) -> set[str]:
    """Every variable and attribute path a template reads (lists written `name[]`), locals and loops resolved."""
    tree = template_environment().parse(source)
    local = {
        name.name
        for node in tree.find_all(nodes.Assign)
        for name in ([node.target] if isinstance(node.target, nodes.Name) else node.target.find_all(nodes.Name))
    }
    local |= {"loop", "namespace", "super", "self", "varargs", "kwargs"}
    aliases: dict[str, str] = {}

    def path_of(node: nodes.Node) -> str | None:
        if isinstance(node, nodes.Name):
            return aliases.get(node.name, None if node.name in local else node.name)
        if isinstance(node, nodes.Getattr):
            inner = path_of(node.node)
            return None if inner is None else f"{inner}.{node.attr}"
        return None

    for loop in tree.find_all(nodes.For):
        iterated = path_of(loop.iter)
        if isinstance(loop.target, nodes.Name) and iterated is not None:
            aliases[loop.target.name] = iterated + "[]"
    paths = {path_of(node) for node in tree.find_all((nodes.Getattr, nodes.Name))}
    paths |= {node.name for node in tree.find_all(nodes.Filter)}
    loop_targets = {
        name.name
        for loop in tree.find_all(nodes.For)
        for name in ([loop.target] if isinstance(loop.target, nodes.Name) else loop.target.find_all(nodes.Name))
    }
    return {
        path.replace("notice.", "publication.notice.", 1) if path.startswith("notice.") else path
        for path in paths
        if path is not None and path not in loop_targets and not path.endswith("[]")  # an item: its list is checked
    }


@pytest.mark.parametrize("name", sorted(RECEIVES))
def test_every_name_the_built_in_templates_use_is_documented(name):
    documented = documented_names() | set(jinja2.Environment().filters)
    standard = {f"g.{constant}" for constant in vars(gbt9704) if constant.isupper()}
    used = used_paths((builtin_templates() / name).read_text(encoding="utf-8"))
    assert used - documented - standard == set()


def test_dataclasses_that_templates_read_document_every_field():
    assert undocumented_fields(TextGrid) == [] and undocumented_fields(FontFile) == []


def test_the_check_sees_loops_locals_and_a_name_that_is_not_documented():
    source = (
        "{% set mark = publication.issuer ~ '文件' %}{{ mark }}"
        "{% for channel in notice.channels %}{{ channel.name }}{{ channel.fax }}{% endfor %}{{ publication.color }}"
    )
    used = used_paths(source)
    assert {"publication.notice.channels[].name", "publication.issuer"} <= used and "mark" not in used
    assert used - documented_names() == {"publication.notice.channels[].fax", "publication.color"}
