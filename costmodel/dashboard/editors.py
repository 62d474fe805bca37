"""Editors for lists of items: a table of their plain fields, and per-item panels for
their uncertain fields (benefits, risks)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from . import state
from .tables import ROW, UncertainColumns, clean_cell, from_frame, to_frame
from .widgets import plain, table_key


def item_table(group: str, items: list[dict[str, Any]], fields: Sequence[str],
               column_config: dict[str, Any], *,
               uncertain: Sequence[UncertainColumns] = (),
               whole: Sequence[str] = (),
               numeric: Sequence[str] = (),
               order: Sequence[str] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """An editable table of ``items`` (add and delete rows). Returns the edited items and
    a stable id per row (``r<position in the draft>`` or ``new<k>``) for widget keys.

    Columns in ``numeric`` hold numbers even when the table is empty or a cell is (so a
    new row's cells are number cells); ``order`` lists the columns shown, left to right
    (default: as the fields are given)."""
    frame = to_frame(items, fields, uncertain)
    frame = frame.astype(dict.fromkeys((ROW, *numeric), "Float64"))  # nullable: empty cells
    edited = st.data_editor(frame, num_rows="dynamic", key=table_key(group),
                            column_config={ROW: None, **column_config}, hide_index=True,
                            width="stretch", column_order=order)
    out = from_frame(edited, items, fields, uncertain, whole=whole)
    ids = [f"r{int(row)}" if row is not None else f"new{k}"  # a new row has no _row
           for k, row in enumerate(map(clean_cell, edited[ROW].tolist()))]
    return out, ids


def table_problems(group: str, items: list[dict[str, Any]],
                   shown_elsewhere: Callable[[str], bool] = lambda path: False) -> None:
    """Problems of a table's rows, named by row number and item name, under the table
    (those an item panel shows next to its field are left to it)."""
    for problem in state.problems():
        if not problem.path.startswith(f"{group}[") or shown_elsewhere(problem.path):
            continue
        position = int(problem.path[len(group) + 1:].split("]", 1)[0])
        name = items[position].get("name") if position < len(items) else None
        label = f"Row {position + 1}" + (f" ({plain(str(name))})" if name else "")
        field = problem.path.split("]", 1)[1].lstrip(".")
        st.error(f"{label} · {plain(field) or 'row'}: "
                 f"{plain(problem.message)}", icon=":material/error:")
