"""Scenario items as editable tables and back, without losing what a table cannot show.

A table row shows an item's fields; an uncertain field is split into a *form* and up to
three numbers (``low``, ``likely``, ``high``). Reading a table back starts from the item
as it was (found by the hidden ``_row`` column, its position in the draft) and overwrites
only the fields whose cells changed, so a distribution the table cannot show (a normal, a
beta) or a field it has no column for survives an edit of another cell. New rows start
empty; what they lack is reported by the schema when applied.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

ROW = "_row"
KEPT = "as in file"
FORM_OPTIONS = ("fixed", "pert", "range90", KEPT)


@dataclass(frozen=True)
class UncertainColumns:
    """An uncertain field shown as ``<prefix>form`` and ``<prefix>low/likely/high``."""

    field: str
    prefix: str

    @property
    def names(self) -> tuple[str, str, str, str]:
        p = self.prefix
        return (f"{p}form", f"{p}low", f"{p}likely", f"{p}high")


def clean_cell(value: Any) -> Any:
    """A cell as plain Python: ``None`` for empty, ``float``/``int``/``str`` or a list of
    them otherwise.

    Examples
    --------
    >>> clean_cell(float("nan")), clean_cell(np.float64(2.5)), clean_cell(np.array(["a", "b"]))
    (None, 2.5, ['a', 'b'])
    """
    if value is None:
        return None
    if isinstance(value, list | tuple | np.ndarray):  # a list cell (lease items)
        return [clean_cell(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if not isinstance(value, dict) and pd.isna(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def split_uncertain(value: Any) -> tuple[str | None, float | None, float | None, float | None]:
    """``(form, low, likely, high)`` of a value in file form.

    Examples
    --------
    >>> split_uncertain({"pert": [1.0, 2.0, 4.0]}), split_uncertain(45.0)
    (('pert', 1.0, 2.0, 4.0), ('fixed', None, 45.0, None))
    >>> split_uncertain({"range90": [3.0, 6.0]})
    ('range90', 3.0, None, 6.0)
    """
    if value is None:
        return (None, None, None, None)
    if isinstance(value, int | float):
        return ("fixed", None, float(value), None)
    if isinstance(value, dict) and len(value) == 1:
        key, numbers = next(iter(value.items()))
        if key == "pert" and len(numbers) == 3:
            return ("pert", *numbers)
        if key == "range90" and len(numbers) == 2:
            return ("range90", numbers[0], None, numbers[1])
    return (KEPT, None, None, None)


def join_uncertain(form: Any, low: Any, likely: Any, high: Any) -> Any:
    """The file form of ``(form, low, likely, high)``; an empty form with only a likely
    value is a fixed number. Missing numbers stay ``None`` for the schema to report.

    Examples
    --------
    >>> join_uncertain("pert", 1, 2, 4), join_uncertain(None, None, 45, None)
    ({'pert': [1, 2, 4]}, 45)
    """
    form = form or ("fixed" if likely is not None and low is None and high is None else None)
    if form == "fixed":
        return likely
    if form == "pert":
        return {"pert": [low, likely, high]}
    if form == "range90":
        return {"range90": [low, high]}
    return None


def to_frame(items: Sequence[dict[str, Any]], plain: Sequence[str],
             uncertain: Sequence[UncertainColumns]) -> pd.DataFrame:
    """One row per item: the ``plain`` fields as they are, each uncertain field split,
    and ``_row`` (the item's position)."""
    rows = []
    for position, item in enumerate(items):
        row: dict[str, Any] = {ROW: position}
        row.update({name: item.get(name) for name in plain})
        for columns in uncertain:
            row.update(zip(columns.names, split_uncertain(item.get(columns.field)),
                           strict=True))
        rows.append(row)
    names = [ROW, *plain, *(n for c in uncertain for n in c.names)]
    return pd.DataFrame(rows, columns=names)


def from_frame(frame: pd.DataFrame, items: Sequence[dict[str, Any]], plain: Sequence[str],
               uncertain: Sequence[UncertainColumns], whole: Sequence[str] = ()
               ) -> list[dict[str, Any]]:
    """The items of an edited table (see the module docstring). Fields in ``whole`` are
    whole numbers (a table cell holds ``3.0``; the schema wants ``3``)."""
    shown = to_frame(items, plain, uncertain)
    out = []
    for record in frame.to_dict("records"):
        position = clean_cell(record.get(ROW))
        known = position is not None and 0 <= int(position) < len(items)
        item = copy.deepcopy(items[int(position)]) if known else {}
        before = shown.iloc[int(position)].to_dict() if known else {}
        for name in plain:
            value = clean_cell(record.get(name))
            if name in whole and isinstance(value, float) and value.is_integer():
                value = int(value)
            if not known or value != clean_cell(before.get(name)):
                if value is None or value == "":
                    item.pop(name, None)
                else:
                    item[name] = value
        for columns in uncertain:
            cells = [clean_cell(record.get(n)) for n in columns.names]
            if known and cells == [clean_cell(before.get(n)) for n in columns.names]:
                continue
            if cells[0] == KEPT:
                continue
            value = join_uncertain(*cells)
            if value is None and all(c is None for c in cells):
                item.pop(columns.field, None)
            else:
                item[columns.field] = value
        out.append(item)
    return out
