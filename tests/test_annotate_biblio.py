"""`archiver annotate` on bibliographies: each entry's archived copy and its date written where
docs/reference-managers.md says, read back by the real parsers (bibtexparser, citeproc-py, our RIS
reader), and every other byte of the file kept."""

from __future__ import annotations

import json
import subprocess

import bibtexparser
import pytest
from click.testing import CliRunner

from archiver.cli.main import main
from archiver.extract.ris import records

NEVER = "https://example.org/never-archived"


def annotate(db, *args):
    return CliRunner().invoke(main, ["annotate", "--db", db, *args], catch_exceptions=False)


@pytest.fixture()
def urls(pipeline_db):
    web = f"http://127.0.0.1:{pipeline_db.web_port}"
    wayback = f"http://127.0.0.1:{pipeline_db.wayback_port}"
    return {"gone": f"{web}/gone", "soft": f"{web}/soft404-ru", "copy_gone": f"{wayback}/web/20210110120000/{web}/gone",
            "copy_soft": f"{wayback}/web/20190101000000/{web}/soft404-ru"}


def bibtex(u, nl="\n"):
    return nl.join([
        "% My references, exported by hand",
        '@String{ministry = "Ministry of Things"}',
        "",
        "@techreport{ministry2020,",
        "  author = ministry # { (press office)},",
        "  title  = {Annual {R}eport},",
        f"  url    = {{{u['gone']}}},",
        "  urldate = {2021-01-12},",
        "}",
        "",
        "@Misc{ soft,",
        "\tTitle = \"Ministry news\",",
        f"\tURL = {{{u['soft']}}}",
        "}",
        "@misc{never, title={Never archived}, url={" + NEVER + "}}",
        "",
    ])


def without(text: str, added: list[str]) -> str:
    for piece in added:
        assert text.count(piece) == 1, piece
        text = text.replace(piece, "")
    return text


def test_bibtex_round_trip(pipeline_db, urls, tmp_path):
    src, out = tmp_path / "refs.bib", tmp_path / "refs.archived.bib"
    src.write_text(bibtex(urls), encoding="utf-8")
    result = annotate(pipeline_db.settings.db, str(src), "-o", str(out))
    assert result.exit_code == 0 and "2 links given their archived copy" in result.stderr, result.stderr
    assert "1 URL has no archived copy" in result.stderr and NEVER in result.stderr
    library = bibtexparser.parse_string(out.read_text(encoding="utf-8"))
    entries = {e.key: e.fields_dict for e in library.entries}
    assert entries["ministry2020"]["archiveurl"].value == urls["copy_gone"]  # the capture matched to the broken link
    assert entries["ministry2020"]["archivedate"].value == "2021-01-10"
    assert entries["soft"]["archiveurl"].value == urls["copy_soft"] and entries["soft"]["archivedate"].value == "2019-01-01"
    assert "archiveurl" not in entries["never"] and not library.failed_blocks
    text = out.read_text(encoding="utf-8")
    assert without(text, [  # the fields follow the entry's own indentation and comma style
        f"\n  archiveurl = {{{urls['copy_gone']}}},\n  archivedate = {{2021-01-10}},",
        f",\n\tarchiveurl = {{{urls['copy_soft']}}},\n\tarchivedate = {{2019-01-01}}"]) == src.read_text(encoding="utf-8")
    again = tmp_path / "twice.bib"
    annotate(pipeline_db.settings.db, str(out), "-o", str(again))
    assert again.read_bytes() == out.read_bytes()  # annotating twice adds nothing


def test_bibtex_keeps_crlf_and_a_bom(pipeline_db, urls, tmp_path):
    src, out = tmp_path / "refs.bib", tmp_path / "out.bib"
    src.write_bytes(b"\xef\xbb\xbf" + bibtex(urls, "\r\n").encode("utf-8"))
    annotate(pipeline_db.settings.db, str(src), "-o", str(out))
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\n") == data.count(b"\r\n")
    assert data.count(b"\r\n") == src.read_bytes().count(b"\r\n") + 4


@pytest.mark.parametrize("name, text", [
    ("refs.bib", "% only\n@misc{never,\n  url = {" + NEVER + "},\n}\n"),
    ("refs.json", json.dumps([{"id": "never", "type": "webpage", "URL": NEVER}], indent="\t")),
    ("refs.ris", f"TY  - ELEC\r\nID  - never\r\nUR  - {NEVER}\r\nER  - \r\n"),
])
def test_entries_without_an_archived_copy_come_back_byte_for_byte(pipeline_db, tmp_path, name, text):
    src, out = tmp_path / name, tmp_path / f"out-{name}"
    src.write_bytes(text.encode("utf-8"))
    result = annotate(pipeline_db.settings.db, str(src), "-o", str(out))
    assert result.exit_code == 0 and "0 links given" in result.stderr
    assert out.read_bytes() == src.read_bytes()


def csl_items(u):
    return [
        {"id": "ministry2020", "type": "report", "title": "Annual Report", "URL": u["gone"],
         "accessed": {"date-parts": [[2021, 1, 12]]}, "author": [{"literal": "Ministry of Things"}]},
        {"id": "never", "type": "webpage", "title": "Never archived", "URL": NEVER},
        {"id": "soft", "type": "webpage", "title": "Ministry news", "URL": u["soft"], "note": "keep: me"},
    ]


STYLE = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info><title>archive test</title><id>archive-test</id><updated>2026-01-01T00:00:00+00:00</updated></info>
  <citation><layout><text variable="title"/></layout></citation>
  <bibliography><layout>
    <group delimiter=". "><text variable="title"/><text variable="archive_location"/><text variable="archive"/></group>
  </layout></bibliography>
</style>"""


def text_of(value) -> str:
    """A citeproc-py reference's text variable: a string up to 0.6, a list of strings later."""
    return value if isinstance(value, str) else "".join(value)


def test_csl_json_round_trip_through_citeproc(pipeline_db, urls, tmp_path):
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    src, out = tmp_path / "refs.json", tmp_path / "out.json"
    src.write_text(json.dumps(csl_items(urls), indent="\t", ensure_ascii=False) + "\n", encoding="utf-8")
    annotate(pipeline_db.settings.db, str(src), "-o", str(out))
    items = json.loads(out.read_text(encoding="utf-8"))
    source = CiteProcJSON(items)
    assert text_of(source["ministry2020"]["archive_location"]) == urls["copy_gone"]
    assert text_of(source["ministry2020"]["archive"]) == "Internet Archive, archived 2021-01-10"
    assert "archive" not in source["never"]
    assert items[2]["note"] == "keep: me" and list(items[0])[:5] == ["id", "type", "title", "URL", "accessed"]
    style = tmp_path / "style.csl"
    style.write_text(STYLE, encoding="utf-8")
    bib = CitationStylesBibliography(CitationStylesStyle(str(style), validate=False), source, formatter.plain)
    bib.register(Citation([CitationItem("ministry2020")]))
    rendered = str(bib.bibliography()[0])
    assert urls["copy_gone"] in rendered and "archived 2021-01-10" in rendered
    added = [f',\n\t\t"archive": "Internet Archive, archived 2021-01-10",\n\t\t"archive_location": "{urls["copy_gone"]}"',
             f',\n\t\t"archive": "Internet Archive, archived 2019-01-01",\n\t\t"archive_location": "{urls["copy_soft"]}"']
    assert without(out.read_text(encoding="utf-8"), added) == src.read_text(encoding="utf-8")


def test_ris_round_trip(pipeline_db, urls, tmp_path):
    src, out = tmp_path / "refs.ris", tmp_path / "out.ris"
    src.write_text("TY  - RPRT\nID  - ministry2020\nTI  - Annual Report\nUR  - " + urls["gone"] + "\nY2  - 2021/01/12/\n"
                   "ER  - \n\nTY  - ELEC\nTI  - Ministry news\nUR  - " + urls["soft"] + "\nER  -\n", encoding="utf-8")
    annotate(pipeline_db.settings.db, str(src), "-o", str(out))
    found = [fields for _, fields, closed in records(out.read_text(encoding="utf-8")) if closed]
    assert found[0]["AN"] == [urls["copy_gone"]] and found[0]["DB"] == ["Internet Archive, archived 2021-01-10"]
    assert found[1]["AN"] == [urls["copy_soft"]] and found[1]["DB"] == ["Internet Archive, archived 2019-01-01"]
    added = [f"DB  - Internet Archive, archived 2021-01-10\nAN  - {urls['copy_gone']}\n",
             f"DB  - Internet Archive, archived 2019-01-01\nAN  - {urls['copy_soft']}\n"]
    assert without(out.read_text(encoding="utf-8"), added) == src.read_text(encoding="utf-8")


def test_dry_run_prints_the_diff_and_writes_nothing(pipeline_db, urls, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "refs.bib"
    src.write_text(bibtex(urls), encoding="utf-8")
    before = src.read_bytes()
    result = annotate(pipeline_db.settings.db, "refs.bib", "--dry-run")
    assert result.exit_code == 0 and src.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["refs.bib"]
    assert f"+  archiveurl = {{{urls['copy_gone']}}}," in result.stdout
    subprocess.run(["git", "apply", "-"], input=result.stdout, text=True, cwd=tmp_path, check=True)
    annotate(pipeline_db.settings.db, str(src), "-o", str(tmp_path / "direct.bib"))
    assert src.read_bytes() == (tmp_path / "direct.bib").read_bytes()


@pytest.mark.parametrize("name", ["refs.json", "refs.ris", "wrapped.json"])
def test_csl_and_ris_annotated_twice_change_nothing_more(pipeline_db, urls, tmp_path, name):
    if name == "refs.ris":
        text = f"TY  - ELEC\r\nID  - soft\r\nUR  - {urls['soft']}\r\nER  - \r\n"
    else:
        items = csl_items(urls)
        text = json.dumps({"items": items} if name == "wrapped.json" else items, indent=2)
    src, once, twice = tmp_path / name, tmp_path / f"once-{name}", tmp_path / f"twice-{name}"
    src.write_text(text, encoding="utf-8", newline="")
    annotate(pipeline_db.settings.db, str(src), "-o", str(once), "--input-format", "ris" if name.endswith(".ris") else "csljson")
    annotate(pipeline_db.settings.db, str(once), "-o", str(twice), "--input-format", "ris" if name.endswith(".ris") else "csljson")
    assert urls["copy_soft"] in once.read_text(encoding="utf-8")
    assert twice.read_bytes() == once.read_bytes()
    if name.endswith(".json"):
        loaded = json.loads(once.read_text(encoding="utf-8"))
        items = loaded["items"] if isinstance(loaded, dict) else loaded
        assert items[2]["archive_location"] == urls["copy_soft"]


def test_a_bibliography_that_is_not_utf8_is_refused_and_left_alone(pipeline_db, urls, tmp_path):
    src, out = tmp_path / "refs.bib", tmp_path / "out.bib"
    src.write_bytes(bibtex(urls).replace("Annual", "Année").encode("latin-1"))
    result = annotate(pipeline_db.settings.db, str(src), "-o", str(out))
    assert result.exit_code == 3 and "not UTF-8" in result.stderr and not out.exists()
