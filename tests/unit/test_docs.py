"""Every `docs/<page>.md` (and `#section`) cited in the code and tests exists.

Comments cite the domain notes as `docs/venue-feeds.md#binance`; a renamed page or heading
would leave them pointing nowhere, so this fails on any citation whose page is missing or
whose anchor matches none of the page's headings (GitHub's anchor rule). The notes' own
relative links are held to the same rule, and the index must list every page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("pyengine", "engine_core", "tests")
SUFFIXES = frozenset({".py", ".pyi", ".rs", ".md", ".toml"})
SKIPPED_DIRS = frozenset({"target", "__pycache__", "data"})

# Not preceded by a path or URL character, so `https://x.org/docs/a.md` is not ours.
CITATION = re.compile(r"(?<![\w/.-])docs/((?:[\w-]+/)*[\w-]+\.md)(?:#([\w-]+))?")
LINK = re.compile(r"\]\(([^)\s:]+\.md)?(?:#([\w-]+))?\)")
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Citation:
    where: str
    page: str
    anchor: str | None


def slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading)
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a Markdown page's headings (fenced code skipped, duplicates numbered)."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        m = None if fenced else HEADING.match(line)
        if m is None:
            continue
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def source_files(root: Path, dirs: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        for p in sorted((root / d).rglob("*")):
            rel = p.relative_to(root).parts
            if p.is_file() and p.suffix in SUFFIXES and not SKIPPED_DIRS & set(rel[:-1]):
                files.append(p)
    return files


def citations(root: Path, dirs: tuple[str, ...], skip: frozenset[Path]) -> list[Citation]:
    found: list[Citation] = []
    for path in source_files(root, dirs):
        if path.resolve() in skip:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in CITATION.finditer(line):
                where = f"{path.relative_to(root)}:{n}"
                found.append(Citation(where, m.group(1), m.group(2)))
    return found


def dangling(found: list[Citation], docs: Path) -> list[str]:
    """Citations whose page does not exist or whose anchor is not one of its headings."""
    bad: list[str] = []
    cache: dict[Path, set[str]] = {}
    for c in found:
        page = docs / c.page
        if not page.is_file():
            bad.append(f"{c.where}: docs/{c.page} does not exist")
            continue
        if c.anchor is not None:
            if page not in cache:
                cache[page] = anchors(page)
            if c.anchor not in cache[page]:
                bad.append(f"{c.where}: docs/{c.page} has no section #{c.anchor}")
    return bad


def doc_links(docs: Path) -> list[Citation]:
    """Relative `.md` and `#section` links in the notes, as citations relative to `docs/`."""
    found: list[Citation] = []
    for page in sorted(docs.rglob("*.md")):
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for m in LINK.finditer(line):
                if m.group(1) is None and m.group(2) is None:
                    continue
                # `](#x)` is a section of the page itself.
                target = (page.parent / (m.group(1) or page.name)).resolve()
                try:
                    rel = target.relative_to(docs.resolve()).as_posix()
                except ValueError:
                    rel = m.group(1) or page.name
                where = f"docs/{page.relative_to(docs)}:{n}"
                found.append(Citation(where, rel, m.group(2)))
    return found


def test_slug_follows_githubs_anchor_rule() -> None:
    assert slug("Clock drift and look-back") == "clock-drift-and-look-back"
    assert slug("Copper ClearLoop") == "copper-clearloop"
    assert slug("OKX") == "okx"
    assert slug("Roles: `MINTER` / admin (V2)") == "roles-minter--admin-v2"
    assert slug("See [the table](x.md)") == "see-the-table"
    assert slug("max_mint per block") == "max_mint-per-block"


def test_anchors_skip_code_fences_and_number_duplicates(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("# Title\n```\n## not a heading\n```\n## Sources\n## Sources\n")
    assert anchors(page) == {"title", "sources", "sources-1"}


def test_checker_reports_missing_pages_and_sections(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\n## Good one\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.rs").write_text(
        "// see docs/a.md#good-one and docs/a.md\n"
        "// docs/a.md#gone, docs/b.md, https://example.org/docs/c.md\n"
    )
    found = citations(tmp_path, ("src",), frozenset())
    assert [(c.page, c.anchor) for c in found] == [
        ("a.md", "good-one"),
        ("a.md", None),
        ("a.md", "gone"),
        ("b.md", None),
    ]
    assert dangling(found, tmp_path / "docs") == [
        "src/m.rs:2: docs/a.md has no section #gone",
        "src/m.rs:2: docs/b.md does not exist",
    ]


def test_every_docs_citation_in_code_and_tests_resolves() -> None:
    found = citations(ROOT, SCANNED, frozenset({Path(__file__).resolve()}))
    assert dangling(found, ROOT / "docs") == []


def test_links_between_the_notes_resolve() -> None:
    links = doc_links(ROOT / "docs")
    assert links, "the notes link to each other; finding none means the parser broke"
    assert dangling(links, ROOT / "docs") == []


def test_index_lists_every_page() -> None:
    docs = ROOT / "docs"
    listed = {c.page for c in doc_links(docs) if c.where.startswith("docs/README.md:")}
    pages = {p.relative_to(docs).as_posix() for p in docs.rglob("*.md")} - {"README.md"}
    assert pages - listed == set()
