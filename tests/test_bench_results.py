"""benchmarks/results.py: a script's `--results` replaces its own section of RESULTS.md and nothing else."""

from benchmarks.results import write_section

from .conftest import REPO


def test_a_section_is_added_then_replaced_in_place(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\nintro\n\n<!-- results: other -->\nkept\n<!-- results: other end -->\n\ntail\n",
                    encoding="utf-8")
    write_section("check", "python benchmarks/check_bench.py", "| a | 1 |", path)
    write_section("check", "python benchmarks/check_bench.py", "| a | 2 |", path)
    text = path.read_text(encoding="utf-8")
    assert text.count("<!-- results: check -->") == 1 and "| a | 2 |" in text and "| a | 1 |" not in text
    assert "kept" in text and "intro" in text and text.index("tail") < text.index("<!-- results: check -->")
    section = text.split("<!-- results: check -->", 1)[1].split("<!-- results: check end -->", 1)[0]
    assert "`python benchmarks/check_bench.py`" in section and "Measured " in section and "load average" in section
    write_section("other", "python x.py", "new", path)
    text = path.read_text(encoding="utf-8")
    assert "kept" not in text and text.index("new") < text.index("tail") < text.index("| a | 2 |")


def test_the_scripts_sections_are_in_results_md():
    """The names the scripts write under exist, so a run replaces the figures instead of appending a copy."""
    text = (REPO / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    for name in ("check_bench N=2000 latency=100ms tuned+defaults", "check_bench N=2000 latency=10ms tuned+defaults",
                 "check_bench --rss-50k", "report_bench n=20000", "wayback_bench"):
        assert f"<!-- results: {name} -->" in text and f"<!-- results: {name} end -->" in text
