"""ADL's LRS conformance test suite (``../shared/vendor/lrs-conformance-test-suite``), run by
node against a live portal.

The suite is copied to ``.cache/adl-lrs-suite`` (ignored by git) and ``npm install``-ed
there once per version of its package.json; its own logs go there too. Without node, npm or
the suite the callers skip with the reason; with ``MOOC_REQUIRE_LRS_SUITE`` set (CI) they
fail instead.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ROOT.parent / "shared" / "vendor" / "lrs-conformance-test-suite"
CACHE = ROOT / ".cache" / "adl-lrs-suite"
# The statement resource's requirements, as the issue asks CI to run at least.
STATEMENT_REQUIREMENTS = "Statement"


def unavailable(reason: str) -> None:
    if os.environ.get("MOOC_REQUIRE_LRS_SUITE"):
        pytest.fail(f"MOOC_REQUIRE_LRS_SUITE is set but {reason}", pytrace=False)
    pytest.skip(reason)


def installed_suite() -> Path:
    """The suite's copy with its node_modules, installed if needed."""
    if not (VENDORED / "bin" / "console_runner.js").is_file():
        unavailable(f"ADL's LRS conformance suite is not at {VENDORED}")
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed")
    ready = CACHE / "node_modules"
    if ready.is_dir() and filecmp.cmp(VENDORED / "package.json", CACHE / "package.json", False):
        return CACHE
    shutil.rmtree(CACHE, ignore_errors=True)
    shutil.copytree(VENDORED, CACHE, ignore=shutil.ignore_patterns("node_modules", "logs"))
    result = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=CACHE,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        shutil.rmtree(CACHE, ignore_errors=True)
        unavailable(f"npm install failed for the LRS suite: {result.stderr[-2000:]}")
    return CACHE


@dataclass
class SuiteResult:
    total: int
    passed: int
    failed: int
    failures: list[str] = field(default_factory=list)


def run_suite(
    endpoint: str, key: str, secret: str, *, grep: str | None = None, version: str = "1.0.3"
) -> SuiteResult:
    """Run the suite (or the tests whose titles match ``grep``) and read its summary."""
    suite = installed_suite()
    command = ["node", "bin/console_runner.js", "-e", endpoint, "-a", "-u", key, "-p", secret]
    command += ["-x", version, "-z"]
    if grep:
        command += ["-g", grep]
    before = set((suite / "logs").glob("*.log")) if (suite / "logs").is_dir() else set()
    completed = subprocess.run(command, cwd=suite, capture_output=True, text=True, timeout=1800)
    summaries = [
        json.loads(line) for line in completed.stdout.splitlines() if line.startswith('{"total"')
    ]
    if not summaries:
        raise AssertionError(f"the suite printed no result: {completed.stdout[-3000:]}")
    last = summaries[-1]
    result = SuiteResult(last["total"], last["passed"], last["failed"])
    logs = set((suite / "logs").glob("*.log")) - before
    for log in logs:
        result.failures += _failures(json.loads(log.read_text()).get("log") or {}, [])
    return result


def _failures(node: dict, path: list[str]) -> list[str]:
    children = node.get("tests") or []
    title = node.get("title") or ""
    if not children and node.get("status") == "failed":
        return [" > ".join(p for p in [*path, title] if p) + f": {node.get('error')}"]
    found: list[str] = []
    for child in children:
        found += _failures(child, [*path, title])
    return found
