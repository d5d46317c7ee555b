"""Every reference the code makes to the project's own docs leads somewhere.

Code, tests and docs cite `docs/toss-api.md` as `toss-api.md §4.4` (possibly followed by more
sections: `toss-api.md §2.4, §4.4`) and `docs/architecture.md` as `architecture.md §3`. Each
cited number must be a numbered heading of that page. The contract cases cite toss-api.md by
section and by source tag (`[S-obs]`); each tag must be a row of its §0 source table. And the
order state machine drawn in docs/architecture.md §3.1 must be the one in
`toss_graphql/domain/state_machine.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contract.cases import CASES
from tests.contract.contract import ContractCase
from toss_graphql.domain.models import OrderStatus
from toss_graphql.domain.state_machine import EDGES, TRANSITIONS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TOSS_API = DOCS / "toss-api.md"
ARCHITECTURE = DOCS / "architecture.md"

# Where citations may be written: the packages, the tests, the benchmarks and the docs.
SCANNED_TREES = ("toss_graphql", "toss_sandbox", "tests", "bench")
SCANNED_SUFFIXES = frozenset({".py", ".md", ".html", ".txt", ".toml"})

_SECTION = r"§\s?\d+(?:\.\d+)*"
_SECTION_NUMBER = re.compile(r"§\s?(\d+(?:\.\d+)*)")
# A citation names the page, then one section, then maybe more: "§2.4, §4.4", "§5 and §6".
_SECTIONS = rf"({_SECTION}(?:\s*(?:,|;|and|or)\s*{_SECTION})*)"
TOSS_API_CITATION = re.compile(rf"toss-api\.md\s+{_SECTIONS}")
ARCHITECTURE_CITATION = re.compile(rf"architecture\.md\s+{_SECTIONS}")
# A numbered heading: "## 4. Errors", "### 4.4 Cancel errors".
HEADING = re.compile(r"^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s", re.MULTILINE)
SOURCE_TAG = re.compile(r"\[((?:D|S|TC)-[A-Za-z0-9-]+)\]")

# The code cited toss-api.md about 58 times when this test was written; far fewer matches
# means the pattern above has stopped finding them, not that the citations went away.
MIN_TOSS_API_CITATIONS = 50
MIN_ARCHITECTURE_CITATIONS = 1


def _scanned_files() -> Iterator[Path]:
    this_file = Path(__file__).resolve()
    for tree in SCANNED_TREES:
        directory = ROOT / tree
        if not directory.is_dir():
            continue
        for path in sorted(directory.rglob("*")):
            if (
                path.is_file()
                and path.suffix in SCANNED_SUFFIXES
                and "__pycache__" not in path.parts
                and path.resolve() != this_file
            ):
                yield path
    yield ROOT / "README.md"
    yield from sorted(DOCS.glob("*.md"))


def _citations(pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    """(where, section number) for every section cited by `pattern` in the scanned files."""
    found: list[tuple[str, str]] = []
    for path in _scanned_files():
        text = path.read_text(encoding="utf-8")
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            where = f"{path.relative_to(ROOT)}:{line}"
            found.extend((where, number) for number in _SECTION_NUMBER.findall(match.group(1)))
    return found


def _headings(page: Path) -> set[str]:
    return set(HEADING.findall(page.read_text(encoding="utf-8")))


def _section_body(page: Path, number: str) -> str:
    """The text under the heading numbered `number`, up to the next heading of any level."""
    text = page.read_text(encoding="utf-8")
    start = re.search(rf"^#{{1,6}}\s+{re.escape(number)}\.?\s.*$", text, re.MULTILINE)
    assert start is not None, f"{page.name} has no section {number}"
    end = re.search(r"^#{1,6}\s", text[start.end() :], re.MULTILINE)
    return text[start.end() : start.end() + end.start() if end else len(text)]


def _table_rows(body: str) -> list[list[str]]:
    """The cells of each body row of the first Markdown table in `body`."""
    rows: list[list[str]] = []
    for line in body.splitlines():
        stripped = line.strip()
        if not stripped.startswith("|"):
            if rows:
                break
            continue
        rows.append([cell.strip() for cell in stripped.strip("|").split("|")])
    # Drop the header row and the |---| separator under it.
    return rows[2:]


def _defined_tags() -> set[str]:
    tags: set[str] = set()
    for cells in _table_rows(_section_body(TOSS_API, "0")):
        tags.update(SOURCE_TAG.findall(cells[0]))
    return tags


def test_the_citation_patterns_find_the_citations() -> None:
    assert len(_citations(TOSS_API_CITATION)) >= MIN_TOSS_API_CITATIONS
    assert len(_citations(ARCHITECTURE_CITATION)) >= MIN_ARCHITECTURE_CITATIONS
    # Every section after the first is found too.
    assert TOSS_API_CITATION.search("(toss-api.md §2.4, §4.4)") is not None
    match = TOSS_API_CITATION.search("as toss-api.md §5, §6.")
    assert match is not None
    assert _SECTION_NUMBER.findall(match.group(1)) == ["5", "6"]


def test_every_toss_api_citation_names_a_section_of_docs_toss_api() -> None:
    headings = _headings(TOSS_API)
    missing = [f"{where}: §{n}" for where, n in _citations(TOSS_API_CITATION) if n not in headings]
    assert not missing, "cited sections absent from docs/toss-api.md:\n" + "\n".join(missing)


def test_every_architecture_citation_names_a_section_of_docs_architecture() -> None:
    headings = _headings(ARCHITECTURE)
    missing = [
        f"{where}: §{n}" for where, n in _citations(ARCHITECTURE_CITATION) if n not in headings
    ]
    assert not missing, "cited sections absent from docs/architecture.md:\n" + "\n".join(missing)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_contract_case_cites_sections_and_sources_of_docs_toss_api(case: ContractCase) -> None:
    text = f"{case.source} {case.doubt or ''}"
    sections = _SECTION_NUMBER.findall(text)
    assert _SECTION_NUMBER.findall(case.source), f"source {case.source!r} cites no section"
    headings = _headings(TOSS_API)
    assert not [n for n in sections if n not in headings], f"unknown section in {text!r}"
    unknown_tags = set(SOURCE_TAG.findall(text)) - _defined_tags()
    assert not unknown_tags, f"tags {sorted(unknown_tags)} are not rows of toss-api.md §0"


def test_every_source_tag_anywhere_is_defined_in_docs_toss_api() -> None:
    defined = _defined_tags()
    # A table the parser no longer reads would define nothing and hide every tag.
    assert {"D-ref", "D-err", "S-obs", "S-pw", "S-koin"} <= defined, sorted(defined)
    undefined: list[str] = []
    for path in [*_scanned_files(), TOSS_API]:
        for tag in SOURCE_TAG.findall(path.read_text(encoding="utf-8")):
            if tag not in defined:
                undefined.append(f"{path.relative_to(ROOT)}: [{tag}]")
    assert not undefined, "source tags missing from toss-api.md §0:\n" + "\n".join(undefined)


def test_the_state_machine_table_is_the_codes() -> None:
    drawn: dict[str, frozenset[str]] = {}
    for cells in _table_rows(_section_body(ARCHITECTURE, "3.1")):
        (source,) = re.findall(r"`([A-Z_]+)`", cells[0])
        assert source not in drawn, f"{source} has two rows"
        drawn[source] = frozenset(re.findall(r"`([A-Z_]+)`", cells[1]))
    in_code = {
        source.value: frozenset(target.value for target in targets)
        for source, targets in TRANSITIONS.items()
    }
    assert drawn == in_code
    assert set(drawn) == {status.value for status in OrderStatus}


def test_the_event_table_is_the_codes() -> None:
    drawn = {}
    for cells in _table_rows(_section_body(ARCHITECTURE, "3")):
        (event,) = re.findall(r"`([A-Z_]+)`", cells[0])
        (target,) = re.findall(r"`([A-Z_]+)`", cells[2])
        drawn[event] = (frozenset(re.findall(r"`([A-Z_]+)`", cells[1])), target)
    in_code = {
        event.value: (frozenset(source.value for source in edge.sources), edge.target.value)
        for event, edge in EDGES.items()
    }
    assert drawn == in_code


def test_nothing_cites_a_document_outside_the_repository() -> None:
    outside = re.compile(r"\bDESIGN(?:\.md)? ?§|shared/(?:DESIGN|toss-api)\.md")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _scanned_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if outside.search(line)
    ]
    assert not found, "cite docs/architecture.md or docs/toss-api.md instead:\n" + "\n".join(found)
