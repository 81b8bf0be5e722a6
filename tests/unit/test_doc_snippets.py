"""Every config snippet (```toml block) of the README and docs/ parses as TOML and loads
through the config loader, and builds an engine plan (the README's live-feed example once
split an inline table over two lines, which TOML forbids)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from pyengine.config import load_config
from pyengine.runtime.plan import make_plan

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```toml[ \t]*\n(.*?)^```", re.S | re.M)


def snippets() -> list[tuple[str, str]]:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    out: list[tuple[str, str]] = []
    for doc in docs:
        if not doc.exists():
            continue
        text = doc.read_text()
        for m in FENCE.finditer(text):
            line = text[: m.start()].count("\n") + 1
            out.append((f"{doc.relative_to(ROOT)}:{line}", m.group(1)))
    return out


SNIPPETS = snippets()


def test_the_readme_has_config_snippets() -> None:
    assert any(where.startswith("README.md") for where, _ in SNIPPETS)


@pytest.mark.parametrize(("where", "text"), SNIPPETS, ids=[w for w, _ in SNIPPETS])
def test_snippet_parses_and_loads(where: str, text: str, tmp_path: Path) -> None:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        pytest.fail(f"{where}: not valid TOML: {exc}")
    path = tmp_path / "snippet.toml"
    path.write_text(text)
    make_plan(load_config(path))


def test_the_fence_finder_sees_a_broken_snippet() -> None:
    broken = "text\n```toml\nlive = { a = 1,\n  b = 2 }\n```\n"
    (found,) = FENCE.findall(broken)
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(found)
