"""The command line: a thin click layer over the library API in `pipeline.build`, and the only module that knows
click.

Exit codes: 0 success; 1 content, configuration, template or output problems, one line each as
`path:line:column: field: what is wrong (got …)`; 2 usage errors.
"""

from __future__ import annotations

import functools
import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from . import __version__
from .artifacts import ARTIFACT_NAMES, FIXED_LAYOUT_FORMATS
from .build import BuildEvents, Shard, default_jobs, kept_edit_notice, searched
from .build import build as build_all
from .build import check as check_all
from .config import MAX_JOBS, PDF_VARIANTS, Configuration, describe, load_configuration
from .content.text import PLACEHOLDER
from .errors import GongwenError, Problem, shown_path
from .files import atomic_write
from .lazy import lazy_import
from .output.merge import merge_shard_manifests
from .typeset.fonts import ROLE_DESCRIPTIONS, resolve_fonts
from .word.fonts import WORD_FONT_NAMES, fontconfig_aliases

if TYPE_CHECKING:
    import webbrowser

    from click._termui_impl import ProgressBar

    from . import fields, scaffold, summary_diff
    from . import status as status_of
    from .build import BuildReport
    from .content import model
    from .errors import Problem
    from .output.folder import Written
    from .preview import server as preview_server
    from .preview import session as preview_session
    from .word import reference
else:
    # What only one command needs loads with it: python-docx (0.1 s) for `reference-doc`, the model for `schema`.
    fields = lazy_import("pipeline.fields")
    status_of = lazy_import("pipeline.status")
    scaffold = lazy_import("pipeline.scaffold")
    summary_diff = lazy_import("pipeline.summary_diff")  # python-docx (0.1 s)
    preview_server = lazy_import("pipeline.preview.server")
    preview_session = lazy_import("pipeline.preview.session")
    model = lazy_import("pipeline.content.model")
    reference = lazy_import("pipeline.word.reference")
    webbrowser = lazy_import("webbrowser")  # `preview` alone opens a browser (6 ms of every command's start)

Command = TypeVar("Command", bound=Callable[..., Any])


class _Commands(click.Group):
    """Click's group, with the library's errors shown as one line per problem and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GongwenError as error:
            for line in error.lines:
                click.echo(line, err=True)
            ctx.exit(1)


def _configuration(paths: tuple[Path, ...], config_file: Path | None, **overrides: Any) -> Configuration:
    """The configuration for the first path (or the working folder); what the user should know about it is printed."""
    start = paths[0] if paths else None
    configuration = load_configuration(start, overrides, config_file)
    for notice in configuration.notices:
        click.echo(str(notice), err=True)
    return configuration


def config_option(function: Command) -> Command:
    return click.option(
        "--config",
        "config_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Configuration file (gongwen.toml or pyproject.toml); default: found from the content upwards.",
    )(function)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="gongwen")
def main() -> None:
    """gongwen: YAML content → GB/T 9704 briefing PDF, editable Word summary and one-page notice."""


def setting_options(function: Command) -> Command:
    """The options that change what a build makes (and so what is up to date), shared by build, status and diff:
    the command receives them as `overrides` of the configuration."""

    @functools.wraps(function)
    def collected(**options: Any) -> Any:
        overrides = {name: options.pop(name) for name in SETTING_OPTIONS}
        options["overrides"] = {name: _setting(value) for name, value in overrides.items()}
        return function(**options)

    for option in reversed(_SETTING_DECLARATIONS):
        collected = option(collected)
    return cast(Command, collected)


def _setting(value: Any) -> Any:
    """An option's value as the configuration takes it: paths as text, repeated values once each, in order."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return tuple(dict.fromkeys(value))
    return value


_SETTING_DECLARATIONS = (
    click.option(
        "-o",
        "--output",
        type=click.Path(file_okay=False, path_type=Path),
        help="Output folder (default: dist, or `output` in the configuration).",
    ),
    click.option(
        "--templates",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="Folder of template overrides, looked up before the built-in templates.",
    ),
    click.option(
        "--reference-doc",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Word reference document whose named styles the summary uses.",
    ),
    click.option("--one-sided", is_flag=True, default=None, help="Keep the binding margin on the left of every page."),
    click.option(
        "--pdf-variant",
        type=click.Choice(PDF_VARIANTS),
        default=None,
        help="Write the PDFs as this archival (PDF/A) or accessible (PDF/UA) variant; default a plain PDF.",
    ),
    click.option(
        "--format",
        "formats",
        type=click.Choice(FIXED_LAYOUT_FORMATS),
        multiple=True,
        help="Write the briefing and the notice as pdf, ofd (GB/T 33190) or both (repeat the option); "
        "default: `formats` in the configuration, else pdf.",
    ),
)
SETTING_OPTIONS = ("output", "templates", "reference_doc", "one_sided", "pdf_variant", "formats")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@setting_options
@click.option(
    "--force",
    is_flag=True,
    help="Rebuild everything, up to date or not; artifacts edited since they were built are kept as NAME.edited.EXT "
    "and replaced.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 when any artifact is edited by hand, or a publication's folder holds a file gongwen did not make "
    "(a release must not ship one unnoticed); the build is the same.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1, max=MAX_JOBS),
    default=None,
    help="Worker processes that make publications in parallel (default: `jobs` in the configuration, "
    "else the number of CPUs).",
)
@click.option(
    "--shard",
    metavar="K/N",
    default=None,
    help="Build only slice K of N (N at most 256; stable, by content path) and write manifest-K-of-N.json; "
    "`gongwen manifest merge` joins the slices.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print problems only.")
@config_option
def build(
    paths: tuple[Path, ...],
    overrides: dict[str, Any],
    force: bool,
    strict: bool,
    jobs: int | None,
    shard: str | None,
    quiet: bool,
    config_file: Path | None,
) -> None:
    """Build briefing.pdf, summary.docx and notice.pdf for each content file (with --format ofd,
    briefing.ofd and notice.ofd from the same layout).

    PATHS are content files or folders (default: `content` from the configuration). Each
    publication goes to OUTPUT/<id>/; OUTPUT/manifest.json and OUTPUT/SHA256SUMS list them all.
    Artifacts whose inputs have not changed since the last build are not made again. An
    artifact changed since it was built is never overwritten: it is kept, and the rebuilt one is
    written beside it as NAME.fresh.EXT (--strict: exit 1 while any artifact is edited; --force:
    keep the edit as NAME.edited.EXT and replace it). One build at a time writes into OUTPUT: a
    second one says so and waits for the first to finish. On a terminal a progress bar shows the
    work; elsewhere (CI) each finished publication prints one line; a count ends every build.
    """
    try:
        slice_ = Shard.parse(shard) if shard else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--shard") from None
    configuration = _configuration(paths, config_file, **overrides, jobs=jobs)
    targets = list(paths) or configuration.content_paths()
    progress = _Progress(quiet, searched(targets))
    report = build_all(
        targets,
        configuration,
        force=force,
        strict=strict,
        jobs=configuration.settings.jobs or default_jobs(),
        shard=slice_,
        events=progress.events(),
    )
    progress.finish(report)
    if report.problems:
        raise GongwenError(report.problems)


class _Progress:
    """A progress bar on a terminal; one line per publication elsewhere; with --quiet only problems and edits kept."""

    def __init__(self, quiet: bool, searched: str) -> None:
        self.quiet = quiet
        self.searched = searched
        self.bar: ProgressBar[int] | None = None

    def events(self) -> BuildEvents:
        return BuildEvents(
            planned=self.planned, built=self.built, failed=self.failed, waiting=self.waiting, preparing=self.preparing
        )

    def preparing(self, faces: int) -> None:
        if not self.quiet:
            click.echo(
                f"preparing {faces} font face{'s' if faces > 1 else ''} for cutting, once per machine "
                "(about 0.1 s each)",
                err=True,
            )

    def waiting(self, notice: Problem) -> None:
        click.echo(str(notice), err=True)  # even with -q: a build that waits should not look hung

    def planned(self, to_make: int, up_to_date: int) -> None:
        if not self.quiet and to_make > 1 and sys.stderr.isatty():
            self.bar = click.progressbar(
                length=to_make, label=f"building {to_make} publications", file=sys.stderr, show_pos=True, show_eta=True
            )
            self.bar.__enter__()

    def built(self, publication_id: str, written: Written) -> None:
        if self.bar is not None:
            self.bar.update(1)
            return
        for edit in written.kept_edits:
            click.echo(str(kept_edit_notice(edit, publication_id)), err=True)  # even with -q: a file not replaced
        if not self.quiet:
            for path in written.kept:
                click.echo(f"kept the edited file as {shown_path(path)}")
            folder = shown_path(written.paths[0].parent) if written.paths else publication_id
            click.echo(f"built {publication_id}: {folder}/ ({', '.join(path.name for path in written.paths)})")

    def failed(self, problems: list[Problem]) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def finish(self, report: BuildReport) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            for path in report.kept:
                click.echo(f"kept the edited file as {shown_path(path)}")
            for edit in report.kept_edits:
                click.echo(str(kept_edit_notice(edit, edit.path.parent.name)), err=True)
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        if self.quiet:
            return
        if not report.built and not report.up_to_date and not report.refused:
            click.echo(f"nothing to build: no content files found in {self.searched}", err=True)
        else:
            click.echo(count_line(report))


def count_line(report: BuildReport) -> str:
    """`2 built, 3 up to date, 1 refused`: every publication of the build counted once; what is zero is left out."""
    counts = [(len(report.built), "built"), (len(report.up_to_date), "up to date"), (len(report.refused), "refused")]
    return ", ".join(f"{count} {what}" for count, what in counts if count) or "0 built"


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@config_option
def check(paths: tuple[Path, ...], config_file: Path | None) -> None:
    """Validate content files without building anything; say where they were looked for."""
    configuration = _configuration(paths, config_file)
    targets = list(paths) or configuration.content_paths()
    publications = check_all(targets, configuration.vocabularies())
    count = len(publications)
    click.echo(f"{count} publication{'s' if count != 1 else ''} OK in {searched(targets)}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@setting_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON: each publication with each artifact's state.")
@config_option
def status(paths: tuple[Path, ...], overrides: dict[str, Any], as_json: bool, config_file: Path | None) -> None:
    """Show, without building, where each publication's artifacts stand.

    Each artifact is up to date, to be rebuilt (and which input changed: content, defaults,
    template, font, reference document, setting, SOURCE_DATE_EPOCH, gongwen's version), edited by
    hand (and where gongwen's version is), or missing. Give the options a build would be given.
    """
    configuration = _configuration(paths, config_file, **overrides)
    targets = list(paths) or configuration.content_paths()
    publications = status_of.status(targets, configuration)
    if as_json:
        click.echo(json.dumps([item.as_json() for item in publications], ensure_ascii=False, indent=2))
        return
    if not publications:
        click.echo(f"no content files found in {searched(targets)}")
        return
    width = max(len(name) for name in ARTIFACT_NAMES)
    for publication in publications:
        click.echo(f"{publication.publication_id}  {shown_path(publication.source)}")
        if publication.problem:
            click.echo(f"  {publication.problem}")
        for artifact in publication.artifacts:
            click.echo(f"  {artifact.name:<{width}}  {artifact.describe()}")
    click.echo(status_of.counts(publications))


@main.command()
@click.argument("publication_id", metavar="ID")
@setting_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON: each paragraph or row removed or added.")
@config_option
def diff(publication_id: str, overrides: dict[str, Any], as_json: bool, config_file: Path | None) -> None:
    """Show how the edited summary of publication ID differs from gongwen's, paragraph by paragraph.

    gongwen's version is the rebuilt summary beside the edit (summary.fresh.docx), or, where
    there is none, the summary made now from the content. Lines starting with - are only in
    gongwen's, + only in the edited one; each names its paragraph (¶N) or table row, and its
    style when it is not Normal. Give the options a build would be given.
    """
    configuration = _configuration((), config_file, **overrides)
    difference = summary_diff.summary_difference(publication_id, configuration)
    if as_json:
        click.echo(json.dumps(difference.as_json(), ensure_ascii=False, indent=2))
    elif difference.note:
        click.echo(f"{shown_path(difference.edited)}: {difference.note}")
    else:
        for line in difference.lines():
            click.echo(line)


@main.command()
@click.argument("publication_id", metavar="ID")
@click.option(
    "--in",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write ID.yaml into (default: the first folder of `content` in the configuration). In a round's "
    "folder (one with _defaults.yaml) the file holds only what the defaults do not.",
)
@config_option
def new(publication_id: str, folder: Path | None, config_file: Path | None) -> None:
    """Start a publication: write ID.yaml with 【待填写】 wherever a value must be supplied.

    Outside a round's folder the file is a complete skeleton: the optional fields are commented
    out, each field has a comment saying what it means. `check` and `build` refuse a 【待填写】
    left anywhere, one line each.
    """
    configuration = _configuration((folder,) if folder else (), config_file)
    target = scaffold.new_content_file(publication_id, folder or default_content_folder(configuration))
    left = scaffold.count_placeholders(target.read_text(encoding="utf-8"))
    shown = shown_path(target)
    click.echo(f"wrote {shown}: replace its {left} {PLACEHOLDER}; `gongwen check {shown}` lists those left")


def default_content_folder(configuration: Configuration) -> Path:
    """Where `gongwen new` writes without --in: the first content folder of the configuration (or a file's folder)."""
    first = configuration.content_paths()[0] if configuration.settings.content else Path.cwd()
    return first.parent if first.suffix in (".yaml", ".yml") else first


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=None,
    help="Port on 127.0.0.1 (default: 9704, or a free one when 9704 is taken; 0: a free one).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
@click.option(
    "--write",
    is_flag=True,
    help="Also write each good render into the output folder, as `gongwen build` does (default: write nothing).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder for --write (default: dist, or `output` in the configuration).",
)
@click.option(
    "--templates",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of template overrides, looked up before the built-in templates.",
)
@click.option(
    "--reference-doc",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Word reference document whose named styles the summary uses.",
)
@config_option
def preview(
    paths: tuple[Path, ...],
    port: int | None,
    open_browser: bool,
    write: bool,
    output: Path | None,
    templates: Path | None,
    reference_doc: Path | None,
    config_file: Path | None,
) -> None:
    """Show the publications in the browser, and follow every save.

    Serves one page per content file under PATHS (default: `content` from the configuration)
    with the notice's and the briefing's pages as laid out and the summary as styled HTML, on
    127.0.0.1 only, behind a random token in the printed URL. The content files, their
    _defaults.yaml, the templates, the reference document and the configuration are watched;
    the page updates itself, and shows problems as `gongwen build` prints them beside the last
    good render. Nothing is written unless --write. Ctrl-C stops it.
    """

    def configure() -> Configuration:
        return _configuration(
            paths,
            config_file,
            output=str(output) if output else None,
            templates=str(templates) if templates else None,
            reference_doc=str(reference_doc) if reference_doc else None,
        )

    session = preview_session.Preview(list(paths), configure, write=write)
    server = preview_server.PreviewServer(session, port)
    maker = threading.Thread(target=session.run, name="preview", daemon=True)
    maker.start()
    count = len(session.publications())
    click.echo(f"previewing {count} publication{'s' if count != 1 else ''} at {server.url}")
    click.echo("only this machine can open it; " + ("writes into the output folder" if write else "writes nothing"))
    click.echo("press Ctrl-C to stop")
    if open_browser:
        webbrowser.open(server.url)  # in a session of its own: Ctrl-C here does not reach the browser
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.close()
        maker.join(timeout=5)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops the preview as Ctrl-C does."""
    raise KeyboardInterrupt


@main.command("config")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@config_option
def show_config(paths: tuple[Path, ...], config_file: Path | None) -> None:
    """Print the effective configuration and where each value came from."""
    configuration = _configuration(paths, config_file)
    click.echo(f"project folder: {configuration.root}")
    rows = describe(configuration)
    width = max(len(name) for name, _, _ in rows)
    for name, value, origin in rows:
        click.echo(f"{name:<{width}}  {value}  [{origin}]")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@config_option
def fonts(paths: tuple[Path, ...], config_file: Path | None) -> None:
    """Print, per role, the face and file a build would use, and why."""
    configuration = _configuration(paths, config_file)
    faces = resolve_fonts(configuration.settings.fonts.as_dict(), configuration.where())
    for role, face in faces.items():
        click.echo(f"{role:<12} {face.family} {face.style}  {face.file_label}")
        click.echo(f"{'':<12} {ROLE_DESCRIPTIONS[role]}; {face.reason}")


@main.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "markdown", "templates"]),
    default="json",
    show_default=True,
    help="json: JSON Schema of content files; markdown: the field reference tables of the README; templates: what "
    "each template receives, its filters and functions (the README's template variables).",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of printing."
)
def schema(output_format: str, output: Path | None) -> None:
    """Print the JSON Schema of content files, for editors that validate YAML while typing."""
    if output_format == "json":
        text = json.dumps(model.content_json_schema(), ensure_ascii=False, indent=2) + "\n"
    elif output_format == "templates":
        text = fields.template_reference_markdown()
    else:
        text = fields.field_reference_markdown()
    if output:
        atomic_write(output, text.encode("utf-8"))
    else:
        click.echo(text, nl=False)


@main.group()
def manifest() -> None:
    """Work with the manifest of an output folder."""


@manifest.command("merge")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path), default="dist")
def merge_manifests(folder: Path) -> None:
    """Join the slices of a sharded build (manifest-K-of-N.json) into manifest.json and SHA256SUMS.

    Copy every slice's output folder into FOLDER first (default: dist). The slices must all be
    there and made with the same tool, fonts, templates and settings; every artifact they list must
    be a file inside FOLDER holding the bytes its slice recorded.
    """
    count = merge_shard_manifests(folder)
    click.echo(
        f"merged {count} artifacts into {shown_path(folder / 'manifest.json')} and {shown_path(folder / 'SHA256SUMS')}"
    )


@main.command("reference-doc")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@config_option
def reference_doc(output: Path, config_file: Path | None) -> None:
    """Write a Word reference document with every style the summary uses.

    Font names come from `word_fonts` in the configuration; edit the result in Word and point
    `reference_doc` (or --reference-doc) at it to restyle the summary.
    """
    configuration = _configuration((), config_file)
    atomic_write(output, reference.build_reference(configuration.settings.word_fonts.as_dict()))
    click.echo(f"wrote {output}")


@main.command()
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of printing."
)
@config_option
def fontconfig(output: Path | None, config_file: Path | None) -> None:
    """Print a fontconfig file that shows the Word summary's font names in the free stand-ins.

    For LibreOffice on Linux without the standard faces: install the result as
    ~/.config/fontconfig/conf.d/60-gongwen.conf. Names come from `word_fonts` in the configuration.
    """
    configuration = _configuration((), config_file)
    text = fontconfig_aliases({**WORD_FONT_NAMES, **configuration.settings.word_fonts.as_dict()})
    if output:
        atomic_write(output, text.encode("utf-8"))
    else:
        click.echo(text, nl=False)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
