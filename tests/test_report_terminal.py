"""The terminal report at the widths people's terminals have: every URL whole, prose within the width,
columns aligned by display width (CJK and emoji take two)."""

import pytest
from click.testing import CliRunner

from archiver import api
from archiver.cli.main import main
from archiver.report.render.terminal import NOTE_COLUMN, STATE_COLUMN, cell_len

LONG = "https://example.org/" + "/".join(f"part{n}" for n in range(40))


def report(db, *args, columns: int, **env):
    result = CliRunner(env={"COLUMNS": str(columns), "NO_COLOR": None, **env}).invoke(
        main, ["report", "--db", str(db), *map(str, args)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def fits(lines: list[str], width: int) -> list[str]:
    """The lines wider than `width` that are not so because a URL or a document's path (kept whole
    too, to be copied) runs past it."""
    return [line for line in lines if cell_len(line) > width and "://" not in line and not line.startswith("/")]


@pytest.mark.parametrize("columns", [60, 80, 160])
def test_every_url_appears_whole_at_each_width(pipeline_db, columns):
    rows = list(api.report(None, pipeline_db.settings).rows())
    text = report(pipeline_db.settings.db, columns=columns)
    lines = text.splitlines()
    urls = {u for r in rows for u in (r.url, r.final_url, r.archive_url, r.raw) if u and "://" in u}
    assert len(urls) > 10 and (columns > 100 or any(len(u) > columns - 10 for u in urls))  # some longer than a line
    cut = [u for u in urls if not any(u in line for line in lines)]
    assert not cut, f"cut at {columns} columns: {cut}"
    for r in rows:  # the copy to cite: after its label when both fit, else alone on its line
        if r.archive_url:
            assert any(line.strip() == r.archive_url or line.endswith("): " + r.archive_url) for line in lines)
    assert not fits(lines, columns), fits(lines, columns)
    assert "\x1b[" not in text  # not a terminal: no colour
    wide = f"{'note':<{NOTE_COLUMN}}{'state':<{STATE_COLUMN}}citation"
    assert (wide in lines) == (columns >= 100)
    assert ("note 1 · alive: ok (HTTP 200)" in lines) == (columns < 100)


@pytest.mark.parametrize("columns", [60, 160])
def test_cjk_and_emoji_keep_the_columns_and_the_width(tmp_path, columns):
    """Notes named in CJK (Markdown footnotes), CJK and emoji citing text: two columns per character,
    so the wide layout's citation column starts at the same display column on every row and no
    line of prose runs past the width."""
    db, doc = tmp_path / "archive.db", tmp_path / "notes.md"
    doc.write_text("# 記事\n\n東京都の報告書は二〇二一年に公開されました、選挙監視団の最終報告[^注一]。"
                   f"😀 Emoji 🎉 heavy 🚀 title 👍🏽 and 🇰🇿 flags[^二]。Ελληνικά and {'字' * 70}[^3]。[^4]\n\n"
                   "[^注一]: https://example.org/tokyo\n[^二]: https://example.org/emoji\n"
                   f"[^3]: https://example.org/long\n[^4]: {LONG}\n", encoding="utf-8")
    assert CliRunner().invoke(main, ["run", str(doc), "--db", str(db), "--lint-only"]).exit_code == 0
    lines = report(db, columns=columns).splitlines()
    assert "注一" in "\n".join(lines) and "😀" in "\n".join(lines) and "字" * 10 in "\n".join(lines)
    assert not fits(lines, columns), fits(lines, columns)
    assert any(LONG in line for line in lines)  # longer than any terminal here, still one line
    firsts = [line for line in lines if "https://example.org/" in line]
    assert len(firsts) == 4
    if columns >= 100:
        assert {cell_len(line[:line.index("https://")]) for line in firsts} == {NOTE_COLUMN + STATE_COLUMN}
        assert any(line.startswith("注一 ") for line in firsts)
    else:
        assert "note 注一 · unchecked" in lines



def test_golden_narrow(pipeline_db):
    """The list layout, as the docs show it (the wide layout's golden is test_report.py's)."""
    import os

    from archiver.report.render.terminal import render

    from .conftest import FIXTURES

    out = "".join(render(pipeline_db.report(), width=60))
    path = FIXTURES / "report" / "golden-60.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(out, encoding="utf-8", newline="")
    assert out == path.read_bytes().decode("utf-8"), f"{path} differs; UPDATE_GOLDEN=1 rewrites it after review"
    page = (FIXTURES.parent.parent / "docs" / "report.md").read_text(encoding="utf-8")
    shown = page.split("narrower than 100 columns:\n\n```\n", 1)[1].split("\n```", 1)[0]
    assert out.startswith(shown + "\n")


@pytest.mark.parametrize(("env", "coloured"), [({}, True), ({"NO_COLOR": "1"}, False)])
def test_on_a_terminal_the_report_is_as_wide_as_it_and_coloured_unless_no_color(pipeline_db, env, coloured):
    from tests.pty_screen import Screen

    with Screen(["report", "--db", pipeline_db.settings.db], columns=80, env=env) as screen:
        assert screen.finish(timeout=60) == 1  # failing links
    assert ("\x1b[" in screen.raw.decode()) == coloured
    lines = screen.lines()
    assert "note 1 · alive: ok (HTTP 200)" in lines  # the terminal's 80 columns: the list layout
    assert not fits(lines, 80), fits(lines, 80)
