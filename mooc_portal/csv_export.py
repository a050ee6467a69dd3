"""CSV files the portal hands out: every cell neutralised against formula injection.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and
some also after a leading tab or carriage return), so a course code or an e-mail address like
``=HYPERLINK("https://evil.example", "click")`` would run in the reviewer's spreadsheet. OWASP's
advice is to prefix such a cell with a single quote; every CSV the portal writes goes through
:func:`write_csv`, so no exporter can forget a column (nor the byte order mark that spreadsheet
software needs to read the file as UTF-8).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` safe to open in a spreadsheet: text starting like a formula gets a ``'``.

    Numbers stay numbers (a negative number is data, not a formula); None is an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell_read(value: str | None) -> str | None:
    """A cell of a CSV the portal wrote, read back: the ``'`` :func:`csv_cell` put before a
    formula-like start is taken off again (a template filled in and uploaded as it is)."""
    if value and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


BOM = "\ufeff"
"""Starts every CSV the portal writes: spreadsheet software reads a CSV without it in the
system's legacy encoding and garbles Hangul and every other non-Latin text."""


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document with a header row, every cell passed through :func:`csv_cell`, starting
    with a UTF-8 byte order mark (:data:`BOM`)."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow([csv_cell(c) for c in columns])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()
