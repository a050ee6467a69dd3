"""The stylesheets are well-formed: a rule block left open swallows every rule after it."""

from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "static"


@pytest.mark.parametrize("path", sorted(STATIC.rglob("*.css")), ids=lambda p: p.name)
def test_every_block_is_closed(path: Path) -> None:
    depth = 0
    for number, line in enumerate(path.read_text().splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"{path.name}:{number} closes a block that is not open"
    assert depth == 0, f"{path.name} leaves {depth} block(s) open"
