"""The output commands: `report`, `export` and `annotate`, and how a report reaches its file or stdout."""

from __future__ import annotations

import os
import sys

import click

from .. import api, files
from ..report.render import REPORT_FORMATS, renderer
from ..report.render.common import counted
from ..store import redacted
from .exits import exit_code, exit_help, handle_errors
from .options import config_option, db_option, fail_on_option, network_options, paths_argument, settings_from, tsa_option
from .terminal import colour_on, columns


@click.command(epilog=exit_help("a citation"))
@paths_argument
@db_option
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="text", show_default=True,
              help="text: for people, as wide as the terminal, every URL whole (colour on a terminal, unless "
                   "NO_COLOR); markdown; html: one self-contained file; json, csv: "
                   "every column (a CSV cell starting with =, +, -, @, tab or CR gets a leading ', so no "
                   "spreadsheet runs it as a formula).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write to this file instead of stdout.")
@fail_on_option("citations: a failing, dead or unrecoverable link or an error finding, error; a link that cannot be "
                "judged, a page that changed since it was cited or a warning finding, warning",
                "a link that broke in the newest check run")
@config_option
@handle_errors
def report(paths, db, fmt, output, fail_on, config_path):
    """The editor's report of PATHS (default: every document in archive.db), note by note.

    \b
    A summary first (citations by state, what needs action, what newly broke in the last
    check run), then per document and note: the citing text, the URL as printed and as
    repaired, findings with their fixes, state, status and HTTP code, the redirect target,
    the page title, content drift since the access date (or since archiver first saw the
    citation), the access date, and the archived copy to cite: the capture matched to a
    broken link, else the newest good capture. Reads archive.db only; nothing is fetched.

    \b
    Example:
        archiver run notes.md && archiver report notes.md
        archiver report notes.md --format html -o report.html
        archiver report --format json | jq '.citations[] | select(.needs_action)'
    """
    settings = settings_from(config_path, db=db)
    writable(output)
    result = api.report(paths, settings)
    emit_report(result, fmt, output)
    sys.exit(exit_code(result.fails(fail_on)))


def emit_report(result, fmt: str, output: str | None) -> None:
    """Render to stdout (colour only on a terminal, as wide as it is), or to `output` as
    archiver/files.py writes every output: a file whole (written aside, then renamed), a device or
    FIFO in place."""
    render = renderer(fmt)
    text = {"colour": output in (None, files.STDOUT) and colour_on(sys.stdout), "width": columns()} if fmt == "text" else {}
    chunks = render(result, **text)
    if output is None:
        for chunk in chunks:
            click.echo(chunk, nl=False)
        return
    with files.output(output) as fh:
        for chunk in chunks:
            fh.write(chunk.encode("utf-8"))
    if output != files.STDOUT:
        click.echo(f"report: {output}", err=True)


def writable(output: str | None) -> None:
    """Fail before any work when the output's folder does not exist."""
    if output and not os.path.isdir(os.path.dirname(os.path.abspath(output))):
        raise click.UsageError(f"{output}: its folder does not exist; create it or choose another path")


@click.command()
@db_option
@click.option("--warc", "warc_out", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write a WARC file (OUT.warc.gz; -: stdout).")
@click.option("--wacz", "wacz_out", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write a WACZ file (OUT.wacz; -: stdout).")
@click.option("--since", metavar="WHEN", help="Only fetches since WHEN: an ISO date or time, or an age (7d, 12h).")
@click.option("--url", help="Only fetches of this URL (as cited, or as served after redirects).")
@click.option("--document", metavar="PATH", help="Only URLs this document cites.")
@tsa_option
@network_options
@config_option
@handle_errors
def export(db, warc_out, wacz_out, since, url, document, tsa_url, proxy, ca_bundle, config_path):
    """Export every page archiver fetched as WARC or WACZ evidence.

    \b
    Each stored fetch becomes a request and a response record: the response's headers as
    received, the body's bytes, WARC-Date = the fetch time, block and payload digests, after a
    warcinfo record. A body seen again is a revisit record. Bodies are stored decoded, so their
    Content-Encoding is removed, Content-Length fixed, the originals kept as X-Archive-Orig-*
    headers and the record's WARC-Archiver-Transformed header says so. A WACZ adds a CDXJ index,
    pages.jsonl and a datapackage.json with the sha256 of every file; ReplayWeb.page opens it.

    \b
    Example:
        archiver export --warc evidence.warc.gz
        archiver export --wacz notes.wacz --document notes.md --since 30d
    """
    if not (warc_out or wacz_out):
        raise click.UsageError("say what to write: --warc OUT.warc.gz and/or --wacz OUT.wacz")
    settings = settings_from(config_path, db=db, tsa_url=tsa_url, proxy=proxy, ca_bundle=ca_bundle)
    filters = {"since": _since(since), "url": url, "document": document}
    unstamped = False
    for out, write in ((warc_out, api.export_warc), (wacz_out, api.export_wacz)):
        if out:
            summary = write(out, settings, **filters)
            extra = (f", {counted(summary.screenshots, 'screenshot')}" if summary.screenshots else "") + \
                (f", {counted(summary.tokens, 'timestamp token')}" if summary.tokens else "")
            click.echo(f"export: {out}: {counted(summary.fetches, 'fetch', 'fetches')} "
                       f"({counted(summary.responses, 'response')}, {counted(summary.revisits, 'revisit')}, "
                       f"{counted(summary.redirects, 'redirect hop')}{extra})", err=True)
            if summary.stamp:
                click.echo(f"export: {out}: stamped {summary.stamp.gen_time} by {summary.stamp.tsa}", err=True)
            if summary.stamp_error:
                click.echo(f"archiver: error: {out} was written but not stamped: {summary.stamp_error}", err=True)
                unstamped = True
    sys.exit(exit_code(failed=unstamped))


def _since(text: str | None) -> str | None:
    """An ISO date/time as given, or an age (7d) as the ISO time that long ago."""
    if not text:
        return None
    from datetime import datetime, timedelta

    from ..clock import iso, utcnow
    from ..config import parse_age
    from ..errors import ConfigError

    try:
        return datetime.fromisoformat(text).isoformat() if "-" in text else \
            iso(utcnow() - timedelta(seconds=parse_age(text)))
    except (ValueError, ConfigError):
        raise click.UsageError(f"--since {text!r}: give an ISO date (2026-01-31) or an age (7d, 12h)") from None


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the annotated copy here (-: stdout).")
@click.option("--in-place", is_flag=True, help="Rewrite PATH itself, keeping the original as PATH.bak.")
@db_option
@click.option("--base-url", help="Resolve relative links in HTML against this URL.")
@click.option("--input-format", type=click.Choice(["text", "markdown", "html", "bibtex", "csljson", "ris"]),
              help="Read PATH as this format instead of guessing from its name.")
@click.option("--dry-run", is_flag=True, help="Print the change as a unified diff (for `git apply`); write nothing.")
@config_option
@handle_errors
def annotate(path, output, in_place, db, base_url, input_format, dry_run, config_path):
    """Write archive links back into a copy of PATH, with its confident repairs applied.

    \b
    After each link archive.db has an archived copy for (the capture matched to a broken link,
    else the newest good capture):
      HTML      data-originalurl, data-versionurl and data-versiondate on the <a> (Robust Links)
                and a visible "archived" link after it;
      Markdown  ([archived](URL)) after the link;
      text      [archived: URL, YYYY-MM-DD] at the end of the note;
      DOCX      [archived: URL, YYYY-MM-DD] after each hyperlink, and at the end of the
                paragraph of a URL typed as text.
    A URL with a copy it could not place is named on stderr with why. PDF and ODT are not
    written (`archiver report` lists their links' copies).
    For each entry of a bibliography with an archived copy (docs/reference-managers.md):
      BibTeX    archiveurl = {URL} and archivedate = {YYYY-MM-DD};
      CSL-JSON  "archive": "Internet Archive, archived YYYY-MM-DD" and "archive_location": URL;
      RIS       DB  - Internet Archive, archived YYYY-MM-DD and AN  - URL;
    every other byte kept (repairs are not applied to bibliographies).
    PATH is never changed unless --in-place, which keeps PATH.bak. Annotating twice adds nothing.

    \b
    Example:
        archiver run notes.md && archiver annotate notes.md -o notes.archived.md
        archiver annotate essay.html --in-place
        archiver annotate refs.bib --dry-run | git apply
    """
    if output and in_place:
        raise click.UsageError("give either -o OUT or --in-place, not both")
    if output and os.path.exists(output) and os.path.exists(path) and os.path.samefile(output, path):
        raise click.UsageError(f"-o {output} is the document itself; use --in-place to change it (a backup is kept)")
    if not (output or in_place or dry_run):
        raise click.UsageError(f"say where to write the annotated copy: -o OUT (- for stdout), --in-place (which "
                               f"keeps {path}.bak) or --dry-run (a diff)")
    settings = settings_from(config_path, db=db, base_url=base_url, input_format=input_format)
    result = api.annotate(path, output, settings, in_place=in_place, dry_run=dry_run)
    if result.diff is not None:
        click.echo(result.diff, nl=False)
    kept = f"; original kept as {result.backup}" if result.backup else ""
    click.echo(f"annotate: {result.out}: {counted(result.links, 'link')} given their archived copy, "
               f"{counted(result.repairs, 'repair')} applied{kept}", err=True)
    if result.left:
        click.echo(f"annotate: {counted(len(result.left), 'URL')} with an archived copy not annotated: "
                   + "; ".join(f"{url} ({why})" for url, why in result.left[:5])
                   + (" ..." if len(result.left) > 5 else ""), err=True)
    if result.without_copy:
        have = "has" if len(result.without_copy) == 1 else "have"
        click.echo(f"annotate: {counted(len(result.without_copy), 'URL')} {have} no archived copy in "
                   f"{redacted(settings.db)} yet "
                   "(run `archiver archive`): " + ", ".join(result.without_copy[:5])
                   + (" ..." if len(result.without_copy) > 5 else ""), err=True)
    sys.exit(exit_code())
