"""Small building blocks shared by the pages: safe text, problem messages next to
fields, the uncertain-value editor with its preview, result strips and charts.

No model arithmetic here: figures come from :mod:`costmodel.verdict` and
:mod:`costmodel.charts`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import streamlit as st

from costmodel import charts
from costmodel.errors import Problem
from costmodel.results import Results
from costmodel.verdict import money, npv_change

from . import state
from .settings import MARKDOWN_COLOURS

#: The ways an uncertain value can be entered; other forms are kept as in the file.
FORMS = MappingProxyType({"fixed": "fixed number", "pert": "low / likely / high",
                          "range90": "90 % range (low–high)"})
KEPT = "as in the file"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$])")


def plain(text: str) -> str:
    """User text made literal for Streamlit markdown (no links, emphasis or HTML).

    Examples
    --------
    >>> print(plain("Pilot [beta](javascript:x) *now* for $5"))
    Pilot \\[beta\\](javascript:x) \\*now\\* for \\$5
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def swatch(index: int) -> str:
    """A coloured square (markdown) for the strategy at ``index``: the theme maps the
    colour's name to the strategy's chart colour (:mod:`costmodel.dashboard.settings`)."""
    return f":{MARKDOWN_COLOURS[index % len(MARKDOWN_COLOURS)]}[■]"


def field_key(path: str, part: str = "") -> str:
    """The widget key of an editor field: includes the session's revision, so editors
    are rebuilt from the draft after a reset."""
    return f"edit.{state.revision()}.{path}" + (f".{part}" if part else "")


def table_key(path: str) -> str:
    """The widget key of a table editor: also includes the table revision (see
    :func:`costmodel.dashboard.state.rebuild_tables`)."""
    revision = state.table_revision()
    return field_key(path) + (f".t{revision}" if revision else "")


def _matches(problem: Problem, path: str) -> bool:
    return problem.path == path or problem.path.startswith((path + ".", path + "["))


def show_problems(path: str, problems: Sequence[Problem] | None = None) -> None:
    """Show the problems of the last rejected edit at ``path`` (and below it)."""
    for problem in problems if problems is not None else state.problems():
        if _matches(problem, path):
            where = problem.path[len(path):].lstrip(".")
            st.error(f"{plain(where) + ': ' if where else ''}{plain(problem.message)}",
                     icon=":material/error:")


@dataclass
class Previews:
    """The uncertain inputs edited on one page run, for the distribution preview."""

    items: list[tuple[str, Any, str]] = field(default_factory=list)

    def add(self, label: str, value: Any, unit: str) -> None:
        self.items.append((label, value, unit))


def _form_of(value: Any) -> str:
    if value is None or isinstance(value, int | float):
        return "fixed"
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in FORMS:
        return next(iter(value))
    return KEPT


def uncertain_input(label: str, value: Any, *, path: str, help: str, unit: str = "",
                    previews: Previews | None = None, optional: bool = False,
                    step: float = 1.0, key_path: str | None = None,
                    labelled: str = "") -> Any:
    """Edit one uncertain value: a fixed number, low / likely / high (PERT) or a 90 %
    range. Returns the value in the scenario's plain-data form (``None`` when optional
    and empty). Other distribution forms are shown and kept as they are in the file.

    ``path`` is the field's place in the scenario (problems are shown under it);
    ``key_path`` names the widgets when the position can change (table rows);
    ``labelled`` prefixes the preview's label (the item's name)."""
    key_path = key_path or path
    form = _form_of(value)
    options = [*FORMS, KEPT] if form == KEPT else list(FORMS)
    columns = st.columns([1.3, 1, 1, 1], vertical_alignment="bottom")
    shown = label[:1].upper() + label[1:]
    chosen = columns[0].selectbox(
        f"{shown} [{unit}]" if unit else shown, options, index=options.index(form),
        format_func=lambda f: FORMS.get(f, KEPT), key=field_key(key_path, "form"), help=help)
    numbers = value[next(iter(value))] if form in ("pert", "range90") else None
    if chosen == KEPT:
        columns[1].caption(plain(str(value)))
        result = value
    elif chosen == "fixed":
        start = value if form == "fixed" else None
        result = columns[1].number_input(
            "value", value=start, key=field_key(key_path, "value"), format="%g", step=step,
            placeholder="" if optional else "value", help=f"{label}, a fixed number [{unit}]")
    else:
        parts = ("low", "likely", "high") if chosen == "pert" else ("low", "high")
        given = numbers if form == chosen else [None] * len(parts)
        picked = [columns[1 + k].number_input(part, value=given[k], format="%g", step=step,
                                              key=field_key(key_path, f"{chosen}.{part}"),
                                              placeholder=part)
                  for k, part in enumerate(parts)]
        result = {chosen: picked}
    show_problems(path)
    if previews is not None and result is not None:
        previews.add(f"{labelled}: {label}" if labelled else label, result, unit)
    return None if optional and result is None else result


def show_preview(previews: Previews, key: str) -> None:
    """A selector over the page's uncertain inputs and a small chart of the chosen
    one's distribution, as currently entered (before Apply)."""
    if not previews.items or not st.toggle(
            "Preview a distribution", key=f"{key}.on",
            help="A small chart of one uncertain input as you entered it (before Apply)"):
        return
    labels = [label for label, _, _ in previews.items]
    chosen = st.selectbox("Preview the distribution of", labels, key=key,
                          help="How the value you entered spreads: the model draws from "
                               "this distribution in every trial.")
    label, value, unit = previews.items[labels.index(chosen)]
    try:
        figure = charts.distribution_preview(value, label=label, unit=unit)
    except (ValueError, TypeError) as exc:
        st.caption(f"No preview yet: {plain(str(exc))}")
        return
    st.plotly_chart(figure, theme=None, key=f"{key}.chart",
                    config={"displayModeBar": False})


def apply_bar(candidate: dict[str, Any], page: str) -> None:
    """The Apply / Discard buttons of an editing page, and the state of its edits.

    Apply validates ``candidate``. If valid it becomes the draft and the page goes on
    to show its results in the same run (the model runs once per applied change); when a
    table had rows added or deleted, the tables are rebuilt from the new draft first (a
    new run), so no edit is applied twice. If not valid, the draft stays and the page
    runs again to show the problems next to their fields."""
    pending = state.is_pending(candidate)
    problems = state.problems()
    columns = st.columns([1, 1, 4], vertical_alignment="center")
    if columns[0].button("Apply changes", type="primary", key=f"apply.{page}",
                         disabled=not pending and not problems,
                         help="Run the model once with every change on this page"):
        if not state.apply(candidate) or problems:
            st.rerun()  # show the new problems, or clear the old ones
        if state.tables_reshaped():
            state.rebuild_tables()
            st.rerun()
        pending, problems = False, ()
    if columns[1].button("Discard", key=f"discard.{page}", disabled=not pending,
                         help="Forget the changes not yet applied"):
        state.discard()
        st.rerun()
    if problems:
        columns[2].error(f"Not applied: {len(problems)} problem(s) — see the messages next "
                         "to the fields.", icon=":material/error:")
        with st.expander("All problems"):
            for problem in problems:
                st.markdown(f"- `{plain(problem.path) or 'scenario'}`: "
                            f"{plain(problem.message)}")
    elif pending:
        columns[2].info("Changes not yet applied.", icon=":material/edit:")


def result_strip(results: Results, baseline: Results) -> None:
    """Expected NPV of each strategy, with the change against the file as saved."""
    currency = results.scenario.currency
    changes = npv_change(results, baseline)
    columns = st.columns(len(results.strategies))
    for k, strategy in enumerate(results.strategies):
        change = changes.get(strategy.name, 0.0)
        columns[k].metric(
            f"Expected NPV — {plain(strategy.name)}", money(strategy.summary.npv.mean, currency),
            delta=(money(change, currency, compact=True, signed=True) + " vs saved"
                   if abs(change) >= 0.5 else None),
            border=True, help="Mean net present value over the trials, after your applied "
                              "changes; the arrow compares with the file as saved.")


def chart(figure: Any, key: str) -> None:
    """Show a figure in its house style (Streamlit's theme off)."""
    st.plotly_chart(figure, theme=None, key=key, config={"displaylogo": False})


def page_header(title: str) -> None:
    """The page title and the open scenario's name; stops the page when none is open."""
    st.title(title)
    if not state.has_scenario():
        st.info("Open a scenario file from the sidebar to begin.")
        st.stop()
    st.caption(plain(state.draft_scenario().name))
