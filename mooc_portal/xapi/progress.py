"""From statements to progress (filled in step 3)."""

from __future__ import annotations

from collections.abc import Sequence

from mooc_portal.xapi.models import XapiStatement


def apply_statements(rows: Sequence[XapiStatement]) -> None:
    """Apply what newly stored statements say about mapped runs."""
