"""The domains of ``mooc_portal`` import each other in one direction: no import cycles.

Run alone: ``python -m pytest tests/test_architecture.py``. The graph is grimp's (the engine of
import-linter), built from the source: every import counts, those inside functions too; only
imports under ``if TYPE_CHECKING:`` (annotations, never run) do not.

``LAYERS`` is the order of the domains, lowest first: a domain may import the domains below it,
never one above. An upward import closes a cycle (the one above already imports, directly or
not, the one below) and fails the test; there are no exceptions. A lower domain that must react
to a higher one offers a signal or a hook the higher one connects in ``init_app``
(docs/architecture.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

LAYERS = (
    "institutions",
    "accounts",
    "audit",
    "jobs",
    "catalog",
    "enrollment",
    "certificates",
    "progress",
    "publishing",
    "federation",
    "xapi",
    "insights",
    "privacy",
    "partner",
    "admin",
    "demo",
)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("mooc_portal", exclude_type_checking_imports=True)


def domain_imports(graph: grimp.ImportGraph) -> dict[tuple[str, str], list[str]]:
    """``{(importer domain, imported domain): ["module -> module", ...]}``."""
    found: dict[tuple[str, str], list[str]] = {}
    for importer in LAYERS:
        for imported in LAYERS:
            if importer == imported:
                continue
            for line in graph.find_matching_direct_imports(
                import_expression=f"mooc_portal.{importer}.** -> mooc_portal.{imported}.**"
            ):
                found.setdefault((importer, imported), []).append(
                    f"{line['importer']} -> {line['imported']}"
                )
    return found


def test_every_domain_package_has_a_layer(graph):
    packages = {
        name.removeprefix("mooc_portal.")
        for name in graph.find_children("mooc_portal")
        if graph.find_children(name)
    }
    assert packages == set(LAYERS)


def test_domains_import_only_the_layers_below_them(graph):
    rank = {name: position for position, name in enumerate(LAYERS)}
    upward = {
        pair: lines
        for pair, lines in domain_imports(graph).items()
        if rank[pair[1]] > rank[pair[0]]
    }
    assert not upward, "imports from a domain to one above it (an import cycle):\n" + "\n".join(
        line for lines in upward.values() for line in lines
    )


SERVICE_MODULES = ("services.py", "outline.py", "review.py", "sharing.py", "workflow.py")


def test_services_read_no_request_session_or_flash():
    """STYLE.md: services take the actor as an argument and never read the request."""
    root = Path(__file__).resolve().parents[1] / "mooc_portal"
    offenders = []
    for path in sorted(root.rglob("*.py")):
        in_services = path.parent.name == "services" or path.name in SERVICE_MODULES
        if not in_services:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "flask":
                names = {alias.name for alias in node.names}
                if names & {"request", "session", "flash"}:
                    offenders.append(f"{path.relative_to(root)}: {sorted(names)}")
    assert not offenders
