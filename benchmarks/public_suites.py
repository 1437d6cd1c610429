"""archiver lint against two public extractor test suites nobody here wrote: where it agrees, and
every case where it does not (each explained in benchmarks/RESULTS.md as a deliberate difference
or a fault).

- linkify-it's fixtures (markdown-it/linkify-it, test/fixtures/links.txt and not_links.txt, MIT,
  vendored in benchmarks/suites/ with the licence): a line, then the link linkify-it must find in it
  (the line itself when the next line is blank); every line of not_links.txt must give none.
- lychee's extractor unit tests (lycheeverse/lychee, lychee-lib/src/extract/*.rs, MIT/Apache-2.0),
  transcribed case by case into benchmarks/suites/lychee-extract-cases.json: an input, its file
  type and the URLs lychee's test expects.

archiver's side: the document is linted as a file of that type, and its `url`s (http(s) only, the
rest get a finding and no URL) are compared. A link agrees when archiver emits it; the scheme
archiver adds to a bare `example.com` (U109) and the case of a scheme and host are not
differences. A not-link agrees when archiver emits no URL for the line.

    python benchmarks/public_suites.py [--verbose]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from archiver.lint.run import lint_paths

SUITES = Path(__file__).parent / "suites"
SUFFIX = {"plaintext": ".txt", "markdown": ".md", "html": ".html"}


def linkify_cases() -> list[tuple[str, str, str | None]]:
    """(where, input, expected link or None for a not-link), as linkify-it's test/test.mjs reads them."""
    out: list[tuple[str, str, str | None]] = []
    lines = (SUITES / "linkify-it-links.txt").read_text(encoding="utf-8").split("\n")
    skip = False
    for i, line in enumerate(lines):
        if skip:
            skip = False
            continue
        line = "" if line.startswith("%") else line
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        nxt = "" if nxt.startswith("%") else nxt
        if not line.strip():
            continue
        out.append((f"links.txt:{i + 1}", line, nxt if nxt.strip() else line))
        skip = bool(nxt.strip())
    for i, line in enumerate((SUITES / "linkify-it-not_links.txt").read_text(encoding="utf-8").split("\n")):
        if line.strip() and not line.startswith("%"):
            out.append((f"not_links.txt:{i + 1}", line, None))
    return out


def lychee_cases() -> list[tuple[str, str, str, list[str]]]:
    """(where, file type, input, expected URLs) from the transcribed lychee tests."""
    data = json.loads((SUITES / "lychee-extract-cases.json").read_text(encoding="utf-8"))
    return [(c["test"], c["type"], c["input"], c["expected"]) for c in data["cases"]]


def emitted(text: str, suffix: str, tmp: Path, n: int) -> list[str]:
    path = tmp / f"case{n}{suffix}"
    path.write_text(text, encoding="utf-8")
    (doc,) = lint_paths([str(path)])
    return [r.url for r in doc.repaired if r.url]


def same(a: str, b: str) -> bool:
    """The same link, up to what archiver adds or normalises: a scheme for a bare host (U109), the
    case of scheme and host, "/" for an empty path."""
    def norm(u: str) -> tuple[str, str]:
        if u.startswith("//"):
            u = "x:" + u
        parts = urlsplit(u if "://" in u else "x://" + u)
        return (parts.netloc.lower(), (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                + (f"#{parts.fragment}" if parts.fragment else ""))
    try:
        return norm(a) == norm(b)
    except ValueError:
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verbose", action="store_true", help="print the agreeing cases too")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        agree, rows = 0, []
        cases = linkify_cases()
        for n, (where, text, want) in enumerate(cases):
            got = emitted(text, ".txt", Path(tmp), n)
            ok = any(same(u, want) for u in got) if want is not None else not got
            agree += ok
            if not ok or args.verbose:
                rows.append(f"  {'ok ' if ok else 'DIFF'} {where}: {text!r} -> linkify-it {want!r}, archiver {got}")
        print(f"linkify-it fixtures: {agree} of {len(cases)} agree "
              f"({sum(w is not None for _, _, w in cases)} links, {sum(w is None for _, _, w in cases)} not-links)")
        print("\n".join(rows))
        agree, rows = 0, []
        lcases = lychee_cases()
        for n, (where, kind, text, want) in enumerate(lcases):
            got = emitted(text, SUFFIX[kind], Path(tmp), 10_000 + n)
            ok = len(got) == len(want) and all(any(same(u, w) for u in got) for w in want)
            agree += ok
            if not ok or args.verbose:
                rows.append(f"  {'ok ' if ok else 'DIFF'} {where} ({kind}): lychee {want}, archiver {got}")
        print(f"\nlychee extractor tests: {agree} of {len(lcases)} agree")
        print("\n".join(rows))


if __name__ == "__main__":
    main()
