"""The command line: a thin click layer over the library API in `pipeline.build`, and the only module that knows
click.

Exit codes: 0 success; 1 content, configuration, template or output problems, one line each as
`path:line:column: field: what is wrong (got …)`; 2 usage errors.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__
from .build import BuildEvents, Shard, default_jobs
from .build import build as build_all
from .build import check as check_all
from .config import MAX_JOBS, PDF_VARIANTS, Configuration, describe, load_configuration
from .errors import GongwenError, Problem, shown_path
from .files import atomic_write
from .lazy import lazy_import
from .output.merge import merge_shard_manifests
from .typeset.fonts import ROLE_DESCRIPTIONS, resolve_fonts
from .word.fonts import WORD_FONT_NAMES, fontconfig_aliases

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

    from . import fields
    from .build import BuildReport
    from .content import model
    from .errors import Problem
    from .output.folder import Written
    from .word import reference
else:
    # What only one command needs loads with it: python-docx (0.1 s) for `reference-doc`, the model for `schema`.
    fields = lazy_import("pipeline.fields")
    model = lazy_import("pipeline.content.model")
    reference = lazy_import("pipeline.word.reference")

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
    start = paths[0] if paths else None
    return load_configuration(start, overrides, config_file)


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


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: dist, or `output` in the configuration).",
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
@click.option("--one-sided", is_flag=True, default=None, help="Keep the binding margin on the left of every page.")
@click.option(
    "--pdf-variant",
    type=click.Choice(PDF_VARIANTS),
    default=None,
    help="Write the PDFs as this archival (PDF/A) or accessible (PDF/UA) variant; default a plain PDF.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Rebuild everything, up to date or not; artifacts edited since they were built are kept as NAME.edited.EXT.",
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
    output: Path | None,
    templates: Path | None,
    reference_doc: Path | None,
    one_sided: bool | None,
    pdf_variant: str | None,
    force: bool,
    jobs: int | None,
    shard: str | None,
    quiet: bool,
    config_file: Path | None,
) -> None:
    """Build briefing.pdf, summary.docx and notice.pdf for each content file.

    PATHS are content files or folders (default: `content` from the configuration). Each
    publication goes to OUTPUT/<id>/; OUTPUT/manifest.json and OUTPUT/SHA256SUMS list them all.
    Artifacts whose inputs have not changed since the last build are not made again. An
    artifact changed since it was built is never overwritten: its publication stops with a
    message, unless --force. One build at a time writes into OUTPUT: a second one says so and
    waits for the first to finish. On a terminal a progress bar shows the work; elsewhere (CI) each
    finished publication prints one line.
    """
    try:
        slice_ = Shard.parse(shard) if shard else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--shard") from None
    configuration = _configuration(
        paths,
        config_file,
        output=str(output) if output else None,
        templates=str(templates) if templates else None,
        reference_doc=str(reference_doc) if reference_doc else None,
        one_sided=one_sided,
        pdf_variant=pdf_variant,
        jobs=jobs,
    )
    targets = list(paths) or configuration.content_paths()
    progress = _Progress(quiet)
    report = build_all(
        targets,
        configuration,
        force=force,
        jobs=configuration.settings.jobs or default_jobs(),
        shard=slice_,
        events=progress.events(),
    )
    progress.finish(report)
    if report.problems:
        raise GongwenError(report.problems)


class _Progress:
    """A progress bar on a terminal; one line per publication elsewhere; nothing with --quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: ProgressBar[int] | None = None

    def events(self) -> BuildEvents:
        return BuildEvents(planned=self.planned, built=self.built, failed=self.failed, waiting=self.waiting)

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
        elif not self.quiet:
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
        if self.quiet:
            return
        counts = [f"{len(report.built)} built"] if report.built else []
        if report.up_to_date:
            counts.append(f"{len(report.up_to_date)} up to date")
        if not report.built and not report.up_to_date and not report.problems:
            click.echo("nothing to build: no content files found", err=True)
        elif counts and (self.bar is not None or report.up_to_date):
            click.echo(", ".join(counts))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@config_option
def check(paths: tuple[Path, ...], config_file: Path | None) -> None:
    """Validate content files without building anything."""
    configuration = _configuration(paths, config_file)
    publications = check_all(list(paths) or configuration.content_paths())
    click.echo(f"{len(publications)} publication{'s' if len(publications) != 1 else ''} OK")


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
    type=click.Choice(["json", "markdown"]),
    default="json",
    show_default=True,
    help="json: JSON Schema of content files; markdown: the field reference tables of the README.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of printing."
)
def schema(output_format: str, output: Path | None) -> None:
    """Print the JSON Schema of content files, for editors that validate YAML while typing."""
    if output_format == "json":
        text = json.dumps(model.content_json_schema(), ensure_ascii=False, indent=2) + "\n"
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
