"""Schema versions of scenario files, and the migrations that read older ones.

Every scenario file carries ``schema_version`` (an integer). This costmodel writes
version :data:`~costmodel.scenario.SCHEMA_VERSION`; an older file is brought up to it *in
memory* by the steps below, one version at a time, and the caller is told what changed
(:class:`Upgrade.notes`, and a :class:`MigrationWarning` from
:func:`costmodel.load_scenario`). A file is never rewritten on load: saving it (from the
dashboard, or with :func:`costmodel.save_scenario`) writes the current version. A file
from a newer costmodel is refused with a message saying so.

Versions
--------
0
    The layout before files were versioned: no ``schema_version`` key; the yearly
    discount rate was ``discount_rate_annual``, the number of units
    ``organisation.headcount``, a phase's go-live month ``go_live_month`` and the trial
    count ``simulation.samples``.
1
    ``schema_version = 1``; ``discount_rate``, ``organisation.units``,
    ``strategies[].phases[].go_live`` and ``simulation.trials``.

To add version ``n + 1``: raise ``SCHEMA_VERSION`` (and the ``Literal`` of
``Scenario.schema_version``), add a step ``n -> n + 1`` to :data:`STEPS`, keep a fixture
file of version ``n`` in ``tests/fixtures/`` and describe the change above.

Examples
--------
>>> old = {"name": "x", "discount_rate_annual": 0.08, "organisation": {"headcount": 5},
...        "strategies": [{"name": "All", "phases": [{"share": 1, "go_live_month": 2}]}]}
>>> up = upgrade(old)
>>> up.from_version, up.data["schema_version"], up.data["organisation"]
(0, 1, {'units': 5})
>>> old["organisation"]  # the input is not changed
{'headcount': 5}
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import Problem, ScenarioError
from .scenario import SCHEMA_VERSION

__all__ = ["STEPS", "MigrationWarning", "Upgrade", "file_version", "upgrade"]


class MigrationWarning(UserWarning):
    """A scenario file of an older schema version was read through a migration."""


@dataclass(frozen=True)
class Upgrade:
    """The result of :func:`upgrade`.

    Attributes
    ----------
    data : dict
        The scenario's plain data in the current schema version (a copy when migrated).
    from_version : int
        The version the file was written in.
    notes : tuple of str
        One line per change a migration made (empty when the file was current).
    """

    data: Any
    from_version: int
    notes: tuple[str, ...] = ()

    @property
    def migrated(self) -> bool:
        return self.from_version != SCHEMA_VERSION

    def message(self, source: str | None = None) -> str:
        """One paragraph for a person: which version, what was changed, what to do."""
        head = f"{source}: " if source else ""
        if not self.migrated:
            return f"{head}schema version {SCHEMA_VERSION} (current)"
        changes = "; ".join(self.notes) if self.notes else "no keys needed changing"
        return (f"{head}written in schema version {self.from_version}, read as version "
                f"{SCHEMA_VERSION} ({changes}). The file itself is unchanged; save it to "
                f"store it in version {SCHEMA_VERSION}.")


def _rename(table: dict, old: str, new: str, where: str, notes: list[str],
            problems: list[Problem]) -> None:
    if old not in table:
        return
    if new in table:
        problems.append(Problem(f"{where}{old}", table[old],
                                f"both {old!r} (schema version 0) and {new!r} (version 1) "
                                f"are given — keep only {new!r}"))
        return
    value = table.pop(old)
    table[new] = value
    notes.append(f"{where}{old} renamed to {where}{new}")


def _v0_to_v1(data: dict) -> tuple[list[str], list[Problem]]:
    """Version 0 -> 1: four keys renamed (see the module docstring)."""
    notes: list[str] = []
    problems: list[Problem] = []
    _rename(data, "discount_rate_annual", "discount_rate", "", notes, problems)
    organisation = data.get("organisation")
    if isinstance(organisation, dict):
        _rename(organisation, "headcount", "units", "organisation.", notes, problems)
    strategies = data.get("strategies")
    phase_notes: list[str] = []
    if isinstance(strategies, list):
        for i, strategy in enumerate(strategies):
            phases = strategy.get("phases") if isinstance(strategy, dict) else None
            if not isinstance(phases, list):
                continue
            for j, phase in enumerate(phases):
                if isinstance(phase, dict):
                    _rename(phase, "go_live_month", "go_live",
                            f"strategies[{i}].phases[{j}].", phase_notes, problems)
    if phase_notes:
        notes.append(f"go_live_month renamed to go_live in {len(phase_notes)} phase(s)")
    simulation = data.get("simulation")
    if isinstance(simulation, dict):
        _rename(simulation, "samples", "trials", "simulation.", notes, problems)
    return notes, problems


#: ``STEPS[n]`` turns plain data of version ``n`` into version ``n + 1`` in place and
#: returns ``(notes, problems)``.
STEPS: dict[int, Callable[[dict], tuple[list[str], list[Problem]]]] = {0: _v0_to_v1}


def file_version(data: Any) -> int:
    """The schema version of plain scenario data: its ``schema_version``, 0 when absent.

    Raises
    ------
    ScenarioError
        When ``schema_version`` is not a whole number, or is newer than this costmodel
        reads.
    """
    if not isinstance(data, dict) or "schema_version" not in data:
        return 0
    version = data["schema_version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ScenarioError([Problem("schema_version", version,
                                     f"{version!r} is not a schema version — write a whole "
                                     f"number such as schema_version = {SCHEMA_VERSION}")])
    if version > SCHEMA_VERSION:
        raise ScenarioError([Problem(
            "schema_version", version,
            f"this file has schema version {version}, written by a newer costmodel; this "
            f"costmodel reads versions 0 to {SCHEMA_VERSION} — upgrade costmodel to open it "
            "(the file was not changed)")])
    return version


def upgrade(data: Any, source: str | None = None) -> Upgrade:
    """Bring plain scenario data (from a TOML or JSON file) to the current version.

    ``data`` is never modified; a migrated copy is returned. Data that is not a table is
    returned as is (validation reports it).

    Raises
    ------
    ScenarioError
        For a newer or malformed ``schema_version``, or a file that gives a key under
        both its old and its new name.
    """
    try:
        version = file_version(data)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, source) from None
    if not isinstance(data, dict) or version == SCHEMA_VERSION:
        return Upgrade(data, version)
    out = copy.deepcopy(data)
    notes: list[str] = []
    if "schema_version" not in out:
        notes.append("no schema_version: read as version 0, the layout before versions")
    for step in range(version, SCHEMA_VERSION):
        changed, problems = STEPS[step](out)
        if problems:
            raise ScenarioError(problems, source)
        notes += changed
    out.pop("schema_version", None)
    out = {"schema_version": SCHEMA_VERSION, **out}
    return Upgrade(out, version, tuple(notes))
