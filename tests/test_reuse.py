"""Ready for reuse (issue 16): licences, the footer that states them, the citation file, the contributor guide."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def test_code_is_mit_and_content_is_cc_by_4():
    code = (ROOT / "LICENSE").read_text()
    assert code.startswith("MIT License") and "Permission is hereby granted, free of charge" in code
    content = (ROOT / "LICENSE-content").read_text()
    assert "Creative Commons Attribution 4.0 International" in content and CC_BY in content
    for covered in ["chapters/", "quizzes/", "figures"]:
        assert covered in content, f"LICENSE-content does not say it covers {covered}"
    assert "Third-party" in content and "book/data/" in content and "note" in content


def test_readme_has_a_licence_section():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Licence\n", 1)[1].split("\n## ", 1)[0]
    for words in ["CC BY 4.0", "LICENSE-content", "MIT", "(LICENSE)", "Third-party data"]:
        assert words in section, words
    assert "CONTRIBUTING.md" in readme


class _Checker(HTMLParser):
    """Collects links and checks that every element opened is closed, in order."""

    VOID = {"br", "img", "hr", "meta", "link", "input", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.links: list[dict] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")


def test_every_page_footer_states_both_licences_in_valid_html():
    footer = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["extra_footer"]
    assert len(footer) < 400, "keep the footer small"
    checker = _Checker()
    checker.feed(footer)
    checker.close()
    assert not checker.errors and not checker.stack, (checker.errors, checker.stack)
    hrefs = {link.get("href") for link in checker.links}
    assert CC_BY in hrefs and any("mit" in (h or "").lower() for h in hrefs)
    assert all(link.get("rel") == "license" for link in checker.links)
    assert all((link.get("href") or "").startswith("https://") for link in checker.links)


def test_citation_file_is_valid_cff():
    checker = Path(sys.executable).parent / "check-jsonschema"
    proc = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.citation-file-format", str(ROOT / "CITATION.cff")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_citation_agrees_with_the_book():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert cff["cff-version"] == "1.2.0"
    assert cff["title"] == config["title"]
    assert cff["repository-code"] == config["repository"]["url"]
    assert cff["version"] == project["version"]
    assert set(cff["license"]) == {"MIT", "CC-BY-4.0"}


def test_contributing_covers_setup_chapters_quizzes_tests_and_the_review_rules():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    for words in [
        "make book",
        "make test-fast",
        "make test",
        "## Add a chapter",
        "## Add or change a quiz",
        "python -m book.quizzes",
        "glue",
        "assertion",
        "alt text",
        "150 s",
        "1000 MiB",
        "1.5 MB gzipped",
        "ruff",
        "codespell",
        "pre-commit",
        "zizmor",
    ]:
        assert words in text, f"CONTRIBUTING.md does not mention {words!r}"
    # the budgets it states are the ones the code enforces
    from book.runtime import MEMORY_BUDGET_MB

    assert f"{MEMORY_BUDGET_MB} MiB" in text
    assert "PAGE_BUDGET_BYTES = 1_500_000" in (ROOT / "tests/test_page_weight.py").read_text()
