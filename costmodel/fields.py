"""Field types of the scenario schema: uncertain values with bounds, names, the base model.

An *uncertain* field holds a plain number or a distribution from
:mod:`costmodel.distributions`; its bounds are checked on the distribution's support, with
messages that name the value and the fix. Shared by :mod:`costmodel.scenario` and
:mod:`costmodel.funding_schema`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, WithJsonSchema

from .distributions import FORMS, Distribution, Range90, parse_distribution

__all__ = [
    "AnnualRate",
    "Count",
    "Factor",
    "Fraction",
    "Model",
    "Money",
    "Name",
    "Positive",
    "Text",
    "Uncertain",
    "UncertainBounds",
    "dump_uncertain",
    "uncertain",
]


# --- uncertain values ------------------------------------------------------------------


@dataclass(frozen=True)
class UncertainBounds:
    """Marker in a field's metadata: the field is uncertain, with these bounds."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    what: str = "value"
    percent_hint: bool = False


def _fmt(x: float) -> str:
    return f"{x:,.6g}"


def _check_bounds(value: float | Distribution, bounds: UncertainBounds) -> None:
    lo, hi = value.support() if isinstance(value, Distribution) else (value, value)
    form = value.describe() if isinstance(value, Distribution) else _fmt(value)
    if bounds.percent_hint and 2 <= hi <= 100:
        raise ValueError(
            f"{form} looks like a percentage — give {bounds.what} as a fraction, "
            f"e.g. {hi / 100:g} for {hi:g} %"
        )
    too_low = lo <= bounds.low if bounds.low_open else lo < bounds.low
    if too_low:
        limit = "above" if bounds.low_open else "at least"
        if isinstance(value, Range90):
            raise ValueError(f"{form} can fall below {_fmt(bounds.low)}; {bounds.what} must be "
                             f"{limit} {_fmt(bounds.low)} — use a range90 with a low above 0, "
                             "or {pert = [low, likely, high]}")
        if isinstance(value, Distribution) and math.isinf(lo):
            fix = f"add bounds, e.g. low = {_fmt(bounds.low)}"
            raise ValueError(f"{form} can fall below {_fmt(bounds.low)}; {bounds.what} must be "
                             f"{limit} {_fmt(bounds.low)} — {fix}")
        raise ValueError(f"{form} goes down to {_fmt(lo)}; {bounds.what} must be {limit} "
                         f"{_fmt(bounds.low)} — use a value {limit} {_fmt(bounds.low)}")
    if hi > bounds.high:
        if isinstance(value, Range90):
            raise ValueError(f"{form} can rise above {_fmt(bounds.high)}; {bounds.what} must be "
                             f"at most {_fmt(bounds.high)} — range90 is unbounded above: use "
                             "{pert = [low, likely, high]} or {beta = {alpha = ..., beta = ...}}")
        if isinstance(value, Distribution) and math.isinf(hi):
            raise ValueError(f"{form} can rise above {_fmt(bounds.high)}; {bounds.what} must be "
                             f"at most {_fmt(bounds.high)} — add high = {_fmt(bounds.high)}")
        raise ValueError(f"{form} goes up to {_fmt(hi)}; {bounds.what} must be at most "
                         f"{_fmt(bounds.high)} — use a smaller value")


def _uncertain_validator(bounds: UncertainBounds):
    def validate(data: Any) -> float | Distribution:
        if isinstance(data, bool):
            raise ValueError(f"expected {FORMS}; got {str(data).lower()}")
        if isinstance(data, int | float):
            if not math.isfinite(data):
                raise ValueError(f"{data!r} is not a finite number — give a finite value")
            value: float | Distribution = float(data)
        elif isinstance(data, str):
            raise ValueError(f"expected {FORMS}; got the text {data!r} — write numbers "
                             "without quotes")
        else:
            value = parse_distribution(data)
        _check_bounds(value, bounds)
        return value

    return validate


def dump_uncertain(value: float | Distribution) -> Any:
    return value.to_data() if isinstance(value, Distribution) else value


def uncertain(
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    what: str = "value",
    percent_hint: bool = False,
) -> Any:
    """An uncertain-value field type with bounds on its support."""
    bounds = UncertainBounds(low, high, low_open, what, percent_hint)
    return Annotated[
        Any,
        PlainValidator(_uncertain_validator(bounds)),
        PlainSerializer(dump_uncertain),
        WithJsonSchema({"description": f"{what}: {FORMS}"}),
        bounds,
    ]


#: Any real number or distribution.
Uncertain = uncertain()
Money = uncertain(0.0, what="an amount")
Count = uncertain(0.0, what="a count")
Fraction = uncertain(0.0, 1.0, what="a share", percent_hint=True)
AnnualRate = uncertain(-0.5, 1.0, what="a yearly rate", percent_hint=True)
Positive = uncertain(0.0, low_open=True, what="a duration")
Factor = uncertain(0.0, 1.0, low_open=True, what="a learning factor", percent_hint=True)



class Model(BaseModel):
    """The base of every schema class: unknown keys refused, frozen, strict types."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


Name = Annotated[str, Field(min_length=1, max_length=120)]
Text = Annotated[str, Field(max_length=4000)]
