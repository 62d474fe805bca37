"""The folder of saved scenarios: list, open, save and save-as, safely.

A :class:`Library` is one folder (``scenarios/`` by default; ``COSTMODEL_SCENARIO_DIR``
or an argument names another). It promises three things:

* **Nothing outside the folder.** A scenario's *name* becomes a file name only after
  :func:`check_name` accepted it: letters, digits, spaces and ``_ - . , ( ) + & '``,
  starting with a letter or digit, at most :data:`MAX_NAME_CHARS` characters, no path
  separators, control or format characters (NUL, bidi overrides, zero-width joiners), no
  trailing dot or space, no Windows device name (``CON``, ``NUL``, ``COM1`` ...). Names
  that differ only in case (or Unicode normal form) are the same name. Files are never
  read or written through a symbolic link. :func:`safe_name` maps any text to an
  acceptable name.
* **Nothing lost.** A save goes through :func:`costmodel.store.write_text_atomic` (a
  temporary file in the folder, flushed, then ``os.replace``): an interrupted save leaves
  the old file whole and no temporary file behind. A save over an existing file must
  name the :class:`Fingerprint` (modification time, size, SHA-256) the file had when it
  was opened; if the file changed since, the save is refused with
  :class:`~costmodel.errors.SaveConflictError` instead of overwriting someone else's
  work. The compare-and-replace runs under an exclusive OS lock (``fcntl.flock`` on
  ``.costmodel.lock`` in the folder), so two processes saving at once cannot both win.
* **Old files still open.** Files are read through :mod:`costmodel.migrate`; an older
  schema version is migrated in memory and :attr:`Loaded.upgrade` says what changed. The
  file on disk is not modified by reading it.

Examples
--------
>>> import tempfile
>>> from costmodel.scenario import parse_scenario
>>> scenario = parse_scenario({"name": "x", "organisation": {"units": 5}, "strategies": [
...     {"name": "All", "phases": [{"share": 1, "go_live": 2}]}]})
>>> with tempfile.TemporaryDirectory() as folder:
...     library = Library(folder)
...     saved = library.save(scenario, "Vendor's case")
...     again = library.read("vendor's case")          # names ignore case
...     [e.name for e in library.entries()], again.fingerprint == saved.fingerprint
(["Vendor's case"], True)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .errors import (
    Problem,
    SaveConflictError,
    ScenarioError,
    ScenarioFileError,
    ScenarioNameError,
    StoreError,
)
from .migrate import Upgrade, upgrade
from .scenario import Scenario, parse_scenario
from .store import MAX_FILE_BYTES, dumps_scenario, loads_data, write_text_atomic

__all__ = [
    "FOLDER_VARIABLE",
    "LOCK_NAME",
    "MAX_NAME_CHARS",
    "SUFFIXES",
    "Entry",
    "Fingerprint",
    "Library",
    "Loaded",
    "check_name",
    "default_folder",
    "parse_upload",
    "read_file",
    "safe_name",
]

#: Environment variable naming the folder of saved scenarios.
FOLDER_VARIABLE = "COSTMODEL_SCENARIO_DIR"
#: Longest scenario name [characters].
MAX_NAME_CHARS = 80
#: Longest file name in UTF-8, suffix included [bytes] (file systems allow 255).
_MAX_NAME_BYTES = 200
#: The lock file of a folder (a dotfile: never listed, never a scenario).
LOCK_NAME = ".costmodel.lock"
SUFFIXES = (".toml", ".json")

_PUNCTUATION = frozenset(" _-.,()+&'")
_DEVICES = frozenset({"con", "prn", "aux", "nul", "conin$", "conout$", "clock$",
                      *(f"com{d}" for d in "0123456789"), *(f"lpt{d}" for d in "0123456789")})


def default_folder() -> Path:
    """``$COSTMODEL_SCENARIO_DIR`` if set, else ``./scenarios``."""
    return Path(os.environ.get(FOLDER_VARIABLE) or "scenarios")


# --- names ---------------------------------------------------------------------------


def _split_suffix(text: str) -> tuple[str, str]:
    for suffix in SUFFIXES:
        if text.lower().endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)], suffix
    return text, ".toml"


def _allowed(ch: str, first: bool) -> bool:
    if ch.isalnum():
        return True
    if first:
        return False
    return ch in _PUNCTUATION or unicodedata.category(ch) in ("Mn", "Mc")


def check_name(text: str) -> tuple[str, str]:
    """The scenario name ``text`` as ``(name, suffix)``, or :class:`ScenarioNameError`.

    Surrounding spaces are dropped and the text is put in Unicode normal form NFC; a
    ``.toml`` or ``.json`` ending chooses the format (default TOML). Everything else
    that is not a plain name is refused, with the reason and the fix.

    Examples
    --------
    >>> check_name("  Vendor case (2025).json ")
    ('Vendor case (2025)', '.json')
    >>> check_name("../../etc/passwd")
    Traceback (most recent call last):
    ...
    costmodel.errors.ScenarioNameError: '../../etc/passwd': ...
    """
    if not isinstance(text, str):
        raise ScenarioNameError(f"{text!r}: a scenario name must be text")
    name, suffix = _split_suffix(unicodedata.normalize("NFC", text.strip()))
    shown = repr(text if len(text) <= 60 else text[:57] + "...")

    def refuse(reason: str) -> ScenarioNameError:
        return ScenarioNameError(f"{shown}: {reason}")

    if not name:
        raise refuse("a scenario needs a name — type one, e.g. 'Vendor case'")
    if len(name) > MAX_NAME_CHARS or len((name + suffix).encode()) > _MAX_NAME_BYTES:
        raise refuse(f"longer than {MAX_NAME_CHARS} characters — shorten it")
    bad = next((ch for k, ch in enumerate(name) if not _allowed(ch, k == 0)), None)
    if bad is not None:
        if name.startswith("."):
            raise refuse("starts with a dot (a hidden file) — start with a letter or digit")
        what = unicodedata.name(bad, f"U+{ord(bad):04X}").lower()
        where = "first character" if bad == name[0] else "character"
        raise refuse(f"the {where} {what!r} is not allowed in a name — use letters, "
                     "digits, spaces and _ - . , ( ) + & ' and start with a letter or digit")
    if name[-1] in ". ":
        raise refuse("ends with a dot or a space — remove it")
    if _folded(name).split(".")[0].rstrip() in _DEVICES:
        raise refuse("is a reserved device name on Windows (CON, NUL, COM1, ...) — add a "
                     "word, e.g. 'CON plan'")
    return name, suffix


def _folded(name: str) -> str:
    """The form in which two names are the same name (case and compatibility forms)."""
    return unicodedata.normalize("NFKC", name).casefold()


def safe_name(text: str, fallback: str = "scenario") -> str:
    """An acceptable name made from any text: characters not allowed become ``-``,
    runs of them one ``-``, cut to length; ``fallback`` when nothing is left.

    Examples
    --------
    >>> safe_name("../../etc/passwd"), safe_name("CON"), safe_name("\\x00")
    ('etc-passwd', 'CON-scenario', 'scenario')
    """
    text = unicodedata.normalize("NFKC", str(text))
    name = "".join(ch if _allowed(ch, False) and ch != "." else "-" for ch in text)
    name = re.sub(r"-{2,}", "-", re.sub(r"\s+", " ", name))
    name = name.lstrip("-_ .,()+&'").rstrip("-_ .")
    while name and len(name.encode()) > _MAX_NAME_BYTES - 8:
        name = name[:-1]
    name = name[:MAX_NAME_CHARS].rstrip("-_ .")
    if not name:
        return fallback
    if not name[0].isalnum():
        name = fallback + "-" + name
    try:
        check_name(name)
    except ScenarioNameError:
        name = f"{name}-{fallback}"[:MAX_NAME_CHARS]
        check_name(name)
    return name


# --- files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fingerprint:
    """What a file was when it was read: modification time [ns], size [bytes] and the
    SHA-256 of its content (hex)."""

    mtime_ns: int
    size: int
    sha256: str

    @classmethod
    def of_bytes(cls, content: bytes, status: os.stat_result) -> Fingerprint:
        return cls(status.st_mtime_ns, status.st_size, hashlib.sha256(content).hexdigest())


@dataclass(frozen=True)
class Loaded:
    """A scenario read from the folder, with what is needed to save it back safely.

    Attributes
    ----------
    scenario : Scenario
    name : str
        Its name in the folder (the file name without suffix).
    path : Path
    fingerprint : Fingerprint
        The file as read (or as written, after a save): pass it to :meth:`Library.save`.
    upgrade : Upgrade
        The schema version the file was in and what a migration changed.
    """

    scenario: Scenario
    name: str
    path: Path
    fingerprint: Fingerprint
    upgrade: Upgrade


@dataclass(frozen=True)
class Entry:
    """One file of the folder, for a list: its name, the scenario's title and
    description, when it last changed and how large it is. ``problem`` is empty when
    the file reads as TOML/JSON, else why not (the full check happens on open)."""

    name: str
    path: Path
    title: str
    description: str
    modified: datetime
    size: int
    problem: str = ""


def _read_bytes(path: Path) -> tuple[bytes, os.stat_result]:
    """The content and status of a regular file, read through one descriptor (so the
    fingerprint matches the bytes), refusing symbolic links and large files."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise ScenarioFileError([Problem("", path.name, "no such scenario in the folder — "
                                                        "check the name")], str(path)) from None
    except OSError as exc:
        raise ScenarioFileError([Problem("", path.name, f"cannot open it: {exc.strerror} "
                                                        "(a symbolic link is not followed)")],
                                str(path)) from None
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise ScenarioFileError([Problem("", path.name, "not a regular file")], str(path))
        if status.st_size > MAX_FILE_BYTES:
            raise ScenarioFileError([Problem("", f"{status.st_size:,} bytes",
                                             f"larger than {MAX_FILE_BYTES:,} bytes — is it a "
                                             "scenario?")], str(path))
        return handle.read(MAX_FILE_BYTES + 1), status


def _decode(content: bytes, source: str) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioFileError([Problem("", None, "the file is not UTF-8 text — save it as "
                                                   "UTF-8")], source) from None


def read_file(path: str | os.PathLike[str]) -> Loaded:
    """Open one scenario file (not through a symbolic link): validated, migrated in
    memory if older, with the fingerprint of the bytes read. The file is not modified.

    Raises
    ------
    ScenarioError
    """
    path = Path(path)
    content, status = _read_bytes(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ScenarioFileError([Problem("", path.name, f"unknown file type {suffix!r} — "
                                                        "use a .toml or .json file")], source)
    upgraded = upgrade(loads_data(_decode(content, source), suffix[1:], source), source)
    scenario = parse_scenario(upgraded.data, source=source)
    return Loaded(scenario, path.stem, path, Fingerprint.of_bytes(content, status), upgraded)


def parse_upload(content: bytes, file_name: str) -> tuple[Scenario, Upgrade]:
    """Validate an uploaded file's bytes (TOML or JSON by its suffix) without saving.

    Raises
    ------
    ScenarioError
        Too large, not UTF-8, not TOML/JSON, a newer schema version, or not a valid
        scenario; nothing is written.
    """
    suffix = Path(file_name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ScenarioFileError([Problem("", file_name, f"unknown file type {suffix or '(none)'!r}"
                                                        " — upload a .toml or .json file")],
                                file_name)
    if len(content) > MAX_FILE_BYTES:
        raise ScenarioFileError([Problem("", f"{len(content):,} bytes",
                                         f"larger than {MAX_FILE_BYTES:,} bytes — is it a "
                                         "scenario?")], file_name)
    upgraded = upgrade(loads_data(_decode(content, file_name), suffix[1:], file_name),
                       file_name)
    return parse_scenario(upgraded.data, source=file_name), upgraded


class Library:
    """The folder of saved scenarios (see the module docstring).

    Parameters
    ----------
    folder : path, optional
        Default :func:`default_folder`. Created on the first save if missing.
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None):
        self.folder = Path(folder) if folder is not None else default_folder()

    def __repr__(self) -> str:
        return f"Library({str(self.folder)!r})"

    # --- where ---------------------------------------------------------------------

    def _files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        out = []
        for path in self.folder.iterdir():
            if path.name.startswith(".") or path.suffix.lower() not in SUFFIXES:
                continue
            if path.is_symlink() or not path.is_file():
                continue
            out.append(path)
        return sorted(out, key=lambda p: (_folded(p.stem), p.name))

    def path_for(self, name: str) -> Path:
        """The file of scenario ``name`` inside the folder: an existing file whose name
        is the same up to case, else a new ``<name>.toml`` (or ``.json``).

        Raises
        ------
        ScenarioNameError
            When ``name`` is not acceptable (:func:`check_name`).
        """
        stem, suffix = check_name(name)
        wanted = _folded(stem)
        for path in self._files():
            if _folded(path.stem) == wanted:
                return path
        path = self.folder / (stem + suffix)
        # belt and braces: the checked name cannot leave the folder
        if path.parent != self.folder or Path(path.name).name != stem + suffix:
            raise ScenarioNameError(f"{name!r}: not a plain file name")
        return path

    # --- reading -------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        """Every scenario file in the folder, by name (case-insensitive)."""
        out = []
        for path in self._files():
            try:
                content, status = _read_bytes(path)
            except ScenarioError:
                continue  # vanished or unreadable since listed
            title = description = problem = ""
            try:
                data = loads_data(_decode(content, path.name), path.suffix.lower()[1:],
                                  path.name)
                if isinstance(data, dict):
                    title = str(data.get("name", ""))
                    description = str(data.get("description", ""))
            except ScenarioError as exc:
                problem = str(exc.problems[0]) if exc.problems else str(exc)
            out.append(Entry(path.stem, path, title, description,
                             datetime.fromtimestamp(status.st_mtime_ns / 1e9, tz=UTC),
                             status.st_size, problem))
        return out

    def read(self, name: str) -> Loaded:
        """Open scenario ``name``: validated, migrated in memory if older, with the
        fingerprint of the bytes read. The file is not modified.

        Raises
        ------
        ScenarioNameError, ScenarioError
        """
        return read_file(self.path_for(name))

    def fingerprint(self, name: str) -> Fingerprint | None:
        """The fingerprint of scenario ``name`` now (``None`` when there is no such file)."""
        return self._current(self.path_for(name))

    @staticmethod
    def _current(path: Path) -> Fingerprint | None:
        try:
            content, status = _read_bytes(path)
        except ScenarioError:
            if os.path.lexists(path):
                raise StoreError(f"{path.name} exists but cannot be read (a symbolic link or "
                                 "not a file) — choose another name") from None
            return None
        return Fingerprint.of_bytes(content, status)

    # --- writing -------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """An exclusive lock on the folder, held across compare-and-replace."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: the fingerprint check only
            yield
            return
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            descriptor = os.open(self.folder / LOCK_NAME, flags, 0o666)
        except OSError as exc:
            raise StoreError(f"cannot lock {self.folder}: {exc.strerror} — is the folder "
                             "writable?") from exc
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock

    def save(self, scenario: Scenario, name: str, *, expected: Fingerprint | None = None,
             overwrite: bool = False) -> Loaded:
        """Write ``scenario`` as ``name`` in the folder, atomically.

        Parameters
        ----------
        scenario : Scenario
        name : str
            The scenario's name in the folder (checked by :func:`check_name`).
        expected : Fingerprint, optional
            The file as it was opened (:attr:`Loaded.fingerprint`): the save goes ahead
            only if the file is still exactly that. ``None``: a new name (save-as), the
            save goes ahead only if no file of that name (up to case) exists.
        overwrite : bool
            Replace whatever is there without the check (after the user confirmed).

        Returns
        -------
        Loaded
            The scenario as written, with the new fingerprint (save again with it).

        Raises
        ------
        ScenarioNameError
            A name that is not acceptable.
        SaveConflictError
            The file changed since it was opened, or already exists; nothing written.
        StoreError
            The write failed; the previous file, if any, is unchanged.
        """
        path = self.path_for(name)
        text = dumps_scenario(scenario, path.suffix.lower()[1:])
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {self.folder}: {exc.strerror}") from exc
        with self._lock():
            current = self._current(path)
            if not overwrite:
                _check_unchanged(path, current, expected)
            write_text_atomic(path, text)
            content, status = _read_bytes(path)
        upgraded = Upgrade(scenario.to_data(), scenario.schema_version)
        return Loaded(scenario, path.stem, path, Fingerprint.of_bytes(content, status),
                      upgraded)


def _check_unchanged(path: Path, current: Fingerprint | None,
                     expected: Fingerprint | None) -> None:
    if expected is None:
        if current is not None:
            raise SaveConflictError(f"{path.name} already exists — choose another name, or "
                                    "open it and save over it")
        return
    if current is None:
        raise SaveConflictError(f"{path.name} was deleted since you opened it — save under "
                                "a new name (nothing was written)")
    if current != expected:
        when = datetime.fromtimestamp(current.mtime_ns / 1e9, tz=UTC)
        raise SaveConflictError(
            f"{path.name} changed since you opened it (last change {when:%Y-%m-%d %H:%M:%S} "
            "UTC) — nothing was written; save under a new name, or reopen the file to see "
            "the other change")
