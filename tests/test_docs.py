"""Docs stay true: every finding code, status and command documented; the README's links resolve."""

import importlib.util
import re

from archiver.cli.main import main
from archiver.lint.findings import RULES

from .conftest import REPO


def test_every_finding_code_is_documented():
    doc = (REPO / "docs" / "findings.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^## (U\d{3}) ([a-z-]+)$", doc, re.M))
    for rule in RULES.values():
        assert (rule.code, rule.name) in headings, f"{rule.code} {rule.name} missing from docs/findings.md"
        section = doc.split(f"## {rule.code} {rule.name}\n", 1)[1].split("\n## ", 1)[0]
        assert f"Severity: {rule.severity}." in section
        assert "Example:" in section


def test_codes_are_unique():
    codes = [r.code for r in RULES.values()]
    assert len(codes) == len(set(codes))


def test_every_command_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"archiver {name}" in readme, f"`archiver {name}` is not documented in README.md"


def test_every_check_status_is_documented():
    from archiver.check.classify import STATUSES

    doc = (REPO / "docs" / "statuses.md").read_text(encoding="utf-8")
    for status, (alive, _) in STATUSES.items():
        expected = {True: "true", False: "false", None: "null"}[alive]
        assert f"| `{status}` | {expected} |" in doc, f"{status} is missing from docs/statuses.md"


def test_every_command_is_in_the_usage_page():
    page = (REPO / "docs" / "usage.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"`archiver {name}" in page, f"`archiver {name}` is not documented in docs/usage.md"


def test_the_readmes_links_resolve():
    """mkdocs --strict checks the links inside docs/; the README is not part of the site."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert len(local) >= 10
    for target in local:
        assert (REPO / target.split("#", 1)[0]).is_file(), f"README.md links to {target}, which does not exist"


def test_the_configuration_page_is_generated_from_the_code():
    """Every Settings field and every option of every command, as docs/gen_config.py renders them now."""
    spec = importlib.util.spec_from_file_location("gen_config", REPO / "docs" / "gen_config.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert page == gen.render(), "docs/configuration.md is out of date: run python docs/gen_config.py"
    for name, command in main.commands.items():
        assert f"### archiver {name}" in page
        for param in (p for p in command.params if p.param_type_name == "option"):
            assert all(f"`{opt}`" in page for opt in param.opts), f"archiver {name} {param.opts} is not documented"


def test_every_page_is_in_the_sites_navigation():
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    for page in sorted((REPO / "docs").rglob("*.md")):
        name = page.relative_to(REPO / "docs").as_posix()
        assert re.search(rf"^\s*- (.*: )?{re.escape(name)}$", nav, re.M), f"docs/{name} is not in mkdocs.yml's nav"


def test_the_files_the_docs_name_exist():
    """A page that names `archiver/...py`, `check/...py` or `tests/...py` goes stale when the file moves; say so
    here. Design decisions may name what they replaced, so only their full paths are checked."""
    packages = "|".join(p.name for p in (REPO / "archiver").iterdir() if (p / "__init__.py").exists())
    for page in [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        named = set(re.findall(r"`((?:archiver|tests|benchmarks)/[\w/.-]+\.(?:py|md|json|txt))`", text))
        if "decisions" not in page.parts:
            named |= {f"archiver/{p}" for p in re.findall(rf"`((?:{packages})/[\w/.-]+\.py)`", text)}
        for path in named:
            assert (REPO / path).exists(), f"{page.relative_to(REPO)} names {path}, which does not exist"
