"""One small exception hierarchy for costmodel.

Every error a user can cause derives from :class:`CostModelError`. Errors about a
scenario carry a tuple of :class:`Problem` records, each naming the field path, the
offending value and the fix, so a command line or a dashboard can show them without a
traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CostModelError", "Problem", "SaveConflictError", "ScenarioError", "ScenarioFileError",
           "ScenarioNameError", "StoreError"]


class CostModelError(Exception):
    """Base class of every error costmodel raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario.

    Attributes
    ----------
    path : str
        Where it is, e.g. ``"costs[2].amount"``; empty for the whole scenario.
    value : Any
        The value found there (shown with ``repr``), or ``None`` when missing.
    message : str
        What is wrong and how to fix it.
    """

    path: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(CostModelError):
    """A scenario that cannot be used, with every problem found in it."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], source: str | None = None):
        self.problems = tuple(problems)
        self.source = source
        head = f"{source}: " if source else ""
        if len(self.problems) == 1:
            text = head + str(self.problems[0])
        else:
            lines = [f"{head}{len(self.problems)} problems:"]
            lines += [f"  - {p}" for p in self.problems]
            text = "\n".join(lines)
        super().__init__(text)


class ScenarioFileError(ScenarioError):
    """A scenario file that cannot be read: missing, unreadable, or malformed TOML/JSON."""


class StoreError(CostModelError, OSError):
    """A scenario file that could not be written; the previous file is left intact."""


class SaveConflictError(StoreError):
    """A save refused because the file changed (or appeared) since it was loaded; nothing
    was written."""


class ScenarioNameError(CostModelError, ValueError):
    """A scenario name that cannot be a file name in the folder of saved scenarios."""
