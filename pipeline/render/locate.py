"""Stage 3, render: where in the templates something is — the line that raised an error, the file a name loads,
the first place a text is written."""

from __future__ import annotations

from pathlib import Path

import jinja2

from ..errors import GongwenError, Where, shown_path


def template_folders(environment: jinja2.Environment) -> tuple[Path, ...]:
    loaders = getattr(environment.loader, "loaders", [environment.loader])
    return tuple(Path(folder).resolve() for loader in loaders for folder in getattr(loader, "searchpath", ()))


def template_position(environment: jinja2.Environment, error: BaseException) -> Where | None:
    """The template line that was running when `error` was raised (Jinja2 puts template lines into tracebacks)."""
    folders = template_folders(environment)
    found = None
    trace = error.__traceback__
    while trace is not None:
        filename = Path(trace.tb_frame.f_code.co_filename)
        if any(folder in filename.parents for folder in folders):
            found = Where(shown_path(filename), trace.tb_lineno)
        trace = trace.tb_next
    return found


def template_origin(environment: jinja2.Environment, name: str) -> str:
    """The file a template name is loaded from, as the user should read it."""
    if environment.loader is None:  # an environment without a loader loads nothing from a file
        return name
    try:
        source = environment.loader.get_source(environment, name)
        return shown_path(source[1]) if source[1] else name
    except (jinja2.TemplateError, GongwenError):  # not found, refused, unreadable: the name is all there is
        return name


def find_in_templates(environment: jinja2.Environment, text: str) -> Where | None:
    """Where `text` is first written in the templates, override folder first: in the files the loader would read
    (inside the template folders, within its size limit, UTF-8)."""
    for loader in getattr(environment.loader, "loaders", [environment.loader]):
        if not isinstance(loader, jinja2.FileSystemLoader):
            continue
        for name in sorted(loader.list_templates()):
            try:
                source, filename, _ = loader.get_source(environment, name)
            except (jinja2.TemplateError, GongwenError):
                continue
            found = source.find(text)
            if found >= 0:
                line = source.count("\n", 0, found) + 1
                return Where(shown_path(filename), line, found - (source.rfind("\n", 0, found) + 1) + 1)
    return None
