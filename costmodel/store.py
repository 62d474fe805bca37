"""Reading and writing scenario files (TOML or JSON). The only module that touches files.

Writes are atomic: the text goes to a temporary file in the same folder, is flushed to
disk, and replaces the target in one step, so a failed write leaves the old file intact
and no temporary file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
import warnings
from pathlib import Path
from typing import Any

import tomli_w

from .errors import Problem, ScenarioFileError, StoreError
from .migrate import MigrationWarning, upgrade
from .scenario import Scenario, parse_scenario

__all__ = ["dumps_scenario", "load_scenario", "loads_data", "loads_scenario", "read_text",
           "save_scenario"]

#: Largest scenario file read [bytes].
MAX_FILE_BYTES = 2_000_000


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise ScenarioFileError(
            [Problem("", str(path), f"unknown file type {suffix or '(none)'!r} — "
                                    "use a .toml or .json file")]
        )
    return suffix[1:]


def loads_scenario(text: str, fmt: str = "toml", source: str | None = None) -> Scenario:
    """Parse scenario text in ``fmt`` (``"toml"`` or ``"json"``) and validate it.

    Text of an older schema version is read through :mod:`costmodel.migrate`, with a
    :class:`~costmodel.migrate.MigrationWarning` saying what was changed.

    Raises
    ------
    ScenarioFileError
        When the text is not valid TOML/JSON (the message gives the line).
    ScenarioError
        When the content is not a valid scenario, or its schema version is newer than
        this costmodel reads.
    """
    upgraded = upgrade(loads_data(text, fmt, source), source)
    if upgraded.migrated:
        warnings.warn(MigrationWarning(upgraded.message(source)), stacklevel=2)
    return parse_scenario(upgraded.data, source=source)


def loads_data(text: str, fmt: str = "toml", source: str | None = None) -> Any:
    """The plain data of TOML or JSON text (not yet migrated or validated).

    Raises
    ------
    ScenarioFileError
        When the text is not valid TOML/JSON (the message gives the line).
    """
    data: Any
    try:
        if fmt == "toml":
            data = tomllib.loads(text)
        elif fmt == "json":
            data = json.loads(text, parse_constant=_reject_constant)
        else:
            raise ValueError(f"unknown format {fmt!r}")
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioFileError(
            [Problem("", None, f"not valid TOML: {exc} — check the syntax on that line "
                               "(quotes around text, = between key and value)")], source
        ) from None
    except json.JSONDecodeError as exc:
        raise ScenarioFileError(
            [Problem("", None, f"not valid JSON: {exc.msg} at line {exc.lineno}, column "
                               f"{exc.colno} — check the syntax there")], source
        ) from None
    except _ConstantError as exc:
        raise ScenarioFileError([Problem("", str(exc), f"{exc} is not a finite number — "
                                                       "JSON files need finite numbers")],
                                source) from None
    return data


class _ConstantError(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _ConstantError(name)


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario file (``.toml`` or ``.json``).

    Examples
    --------
    >>> from pathlib import Path
    >>> folder = Path(__file__).parents[1] / "scenarios"
    >>> s = load_scenario(folder / "customer_service_assistant.toml")
    >>> s.organisation.unit_label
    'agent'
    """
    path = Path(path)
    return loads_scenario(read_text(path), _format_of(path), source=str(path))


def read_text(path: Path) -> str:
    """The text of a scenario file (UTF-8, at most :data:`MAX_FILE_BYTES`).

    Raises
    ------
    ScenarioFileError
        When the file is missing, too large, not UTF-8 or unreadable, or its suffix is
        not ``.toml`` or ``.json``.
    """
    _format_of(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioFileError([Problem("", f"{size:,} bytes", f"the file is larger than "
                                             f"{MAX_FILE_BYTES:,} bytes — is it a scenario?")],
                                    str(path))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioFileError([Problem("", str(path), "no such file — check the path")],
                                str(path)) from None
    except UnicodeDecodeError:
        raise ScenarioFileError([Problem("", None, "the file is not UTF-8 text — save it as "
                                                   "UTF-8")], str(path)) from None
    except OSError as exc:
        raise ScenarioFileError([Problem("", str(path), f"cannot read the file: "
                                                        f"{exc.strerror}")], str(path)) from None
    return text


def dumps_scenario(scenario: Scenario, fmt: str = "toml") -> str:
    """The text of ``scenario`` as TOML or JSON (stable key order)."""
    data = scenario.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    always = {k: getattr(scenario, k) for k in ("schema_version", "name", "currency",
                                               "horizon_months", "discount_rate")}
    data = {**always, **data}
    if fmt == "toml":
        return _toml_document(data)
    if fmt == "json":
        return json.dumps(data, indent=2, allow_nan=False) + "\n"
    raise ValueError(f"unknown format {fmt!r} — use 'toml' or 'json'")


def _toml_value(value: Any) -> str:
    """One TOML value on one line; tables become inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _tomli_literal(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _tomli_literal(value: Any) -> str:
    """tomli-w's own rendering of a scalar (its string escaping is TOML-exact)."""
    return tomli_w.dumps({"v": value}).partition(" = ")[2].rstrip("\n")


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else _tomli_literal(key)


def _toml_document(data: dict[str, Any]) -> str:
    """A readable TOML document: scalars first, then ``[tables]``, then ``[[arrays]]``.

    Values inside tables are written inline (``amount = { pert = [1, 2, 3] }``), the way
    the example scenarios are written by hand. ``tomllib`` reads it back (tested).
    """
    lines: list[str] = []
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    arrays = {k: v for k, v in data.items()
              if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)}
    for key, value in data.items():
        if key not in tables and key not in arrays:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, table in tables.items():
        lines += ["", f"[{_toml_key(key)}]"]
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()]
    for key, items in arrays.items():
        for item in items:
            lines += ["", f"[[{_toml_key(key)}]]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


def save_scenario(scenario: Scenario, path: str | os.PathLike[str]) -> Path:
    """Write ``scenario`` to ``path`` atomically; the format follows the suffix.

    Returns the path written. On failure raises :class:`StoreError` and leaves any
    existing file unchanged.
    """
    path = Path(path)
    text = dumps_scenario(scenario, _format_of(path))
    write_text_atomic(path, text)
    return path


def _file_mode(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets 0o666 less the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` via a temporary file and ``os.replace``."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace`` (images, PDF)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    tmp_name = None
    try:
        with tempfile.NamedTemporaryFile("wb", dir=folder, delete=False,
                                         prefix=f".{path.name}.", suffix=".tmp") as handle:
            tmp_name = handle.name
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, _file_mode(path))
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise StoreError(f"could not write {path}: {exc.strerror or exc} — the previous file, "
                         "if any, is unchanged") from exc
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
