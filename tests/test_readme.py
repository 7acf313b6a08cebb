"""The README is the front door (issue 22, item 1): short, undated, and every link in it and in docs/ lands.

A newcomer follows links, so each relative link in README.md and docs/**/*.md must reach a file of the repository,
and an anchor must name a heading of that file (as GitHub spells it) or an explicit ``<a id>``. Measurements with a
date belong to the benchmark's own output, not the README. The make targets the README names are checked with
the documents' other commands in tests/test_docs_commands.py, which reads the same files.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_docs_commands import FENCE, doc_files
from tonebridge.paths import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
MAX_LINES = 250
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
EXPLICIT_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
INLINE_CODE = re.compile(r"`[^`\n]*`")
#: A date, a month and year, or a bare year: what a dated measurement carries.
DATED = re.compile(
    r"\b(?:19|20)\d\d-\d\d(?:-\d\d)?\b"
    r"|\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\s+(?:19|20)\d\d\b"
    r"|(?<![\w.\-/])(?:19|20)\d\d(?![\w.\-/])"
)


def prose(markdown: str) -> str:
    """The text a reader follows links in: fenced blocks and inline code removed."""
    return INLINE_CODE.sub("", FENCE.sub("", markdown))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    found: set[str] = set(EXPLICIT_ANCHOR.findall(text))
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub("", text)):
        base = slug(heading)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return found


def broken_links(path: Path) -> list[str]:
    broken = []
    for target in LINK.findall(prose(path.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(PROJECT_ROOT)}: {target}"
        if PROJECT_ROOT.resolve() not in resolved.parents or not resolved.is_file():
            broken.append(f"{where}: no such file in the repository")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{where}: no heading #{anchor} in {resolved.relative_to(PROJECT_ROOT.resolve())}")
    return broken


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"README.md has {lines} lines; move detail into docs/ (at most {MAX_LINES})"


def test_readme_has_no_dated_measurements():
    dated = [
        f"README.md:{number}: {line.strip()}"
        for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), 1)
        if DATED.search(line)
    ]
    assert not dated, "dates belong to the benchmark's output, not the README:\n" + "\n".join(dated)


def test_every_relative_link_lands():
    broken = [problem for path in doc_files() for problem in broken_links(path)]
    assert not broken, "\n".join(broken)


def test_readme_reaches_the_operator_documents_in_one_hop():
    targets = {target.partition("#")[0] for target in LINK.findall(prose(README.read_text(encoding="utf-8")))}
    wanted = {"docs/operations.md", "docs/runbooks/README.md", "docs/configuration.md", "docs/spec-map.md"}
    assert wanted <= targets, f"README.md must link {sorted(wanted - targets)}"


def test_the_checks_see_what_they_should():
    assert slug("5. Vault: initialise, the secrets") == "5-vault-initialise-the-secrets"
    assert slug("What `make test` runs") == "what-make-test-runs"
    assert slug("Observability (spec §7)") == "observability-spec-7"
    assert LINK.findall("see [the\n guide](a.md#b) and ![x](y.svg) but not `[c](d)`") == ["a.md#b", "y.svg", "d"]
    assert LINK.findall(prose("see `[c](d)`")) == []
    assert DATED.search("904 s in the CI run of 2026-12-04") and DATED.search("measured in March 2026")
    assert not DATED.search("Python 3.11, Terraform 1.11, 100.64.0.0/16, port 4566, 2,135 modules")
