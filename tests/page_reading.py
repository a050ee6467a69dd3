"""Reading a rendered page as a person sees its form controls."""

from __future__ import annotations

import re


def checkbox_labels(page: str, name: str) -> dict[str, str]:
    """value -> label text of the checkboxes named ``name``."""
    found = {}
    for match in re.finditer(
        rf'<input[^>]*id="([^"]+)"[^>]*name="{name}"[^>]*value="([^"]*)"[^>]*>', page
    ):
        label = re.search(rf'<label for="{match.group(1)}">([^<]*)</label>', page)
        found[match.group(2)] = label.group(1) if label else ""
    return found
