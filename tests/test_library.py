"""The folder of saved scenarios: round trips, hostile names, conflicts between two
processes, interrupted writes, and schema versions (fixtures in tests/fixtures/)."""

from __future__ import annotations

import errno
import hashlib
import multiprocessing
import os
import random
import tempfile
import warnings
from pathlib import Path

import pytest

from costmodel import store
from costmodel.errors import (
    SaveConflictError,
    ScenarioError,
    ScenarioNameError,
    StoreError,
)
from costmodel.library import (
    LOCK_NAME,
    MAX_NAME_CHARS,
    Library,
    check_name,
    parse_upload,
    safe_name,
)
from costmodel.migrate import MigrationWarning, upgrade
from costmodel.scenario import SCHEMA_VERSION, parse_scenario
from costmodel.store import dumps_scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.toml"))
FIXTURES = ROOT / "tests" / "fixtures"
MINIMAL = {"name": "Minimal", "organisation": {"units": 5},
           "strategies": [{"name": "All at once", "phases": [{"share": 1, "go_live": 2}]}]}


def _scenario(description: str = ""):
    return parse_scenario({**MINIMAL, "description": description})


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path -> content)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _leftovers(folder: Path, keep: set[str]) -> set[str]:
    return {p.name for p in folder.iterdir()} - keep - {LOCK_NAME}


# --- round trips -------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_every_example_round_trips_through_the_folder(tmp_path, example, suffix):
    scenario = load_scenario(example)
    library = Library(tmp_path)
    saved = library.save(scenario, example.stem + suffix)
    again = library.read(example.stem)
    assert again.scenario.canonical_json() == scenario.canonical_json()
    assert again.fingerprint == saved.fingerprint
    assert again.path.suffix == suffix
    assert not again.upgrade.migrated
    # saving what was read writes the same bytes
    assert library.save(again.scenario, example.stem, expected=again.fingerprint).fingerprint \
        .sha256 == saved.fingerprint.sha256


def test_the_list_shows_name_description_and_last_change(tmp_path):
    library = Library(tmp_path)
    library.save(_scenario("the vendor's numbers"), "Vendor case")
    library.save(_scenario("ours"), "b-ours")
    (tmp_path / "broken.toml").write_text("name = \n")
    (tmp_path / ".hidden.toml").write_text("")
    (tmp_path / "notes.txt").write_text("")
    entries = library.entries()
    assert [e.name for e in entries] == ["b-ours", "broken", "Vendor case"]
    vendor = entries[2]
    assert (vendor.title, vendor.description, vendor.problem) == ("Minimal",
                                                                  "the vendor's numbers", "")
    stamp = os.stat(vendor.path).st_mtime_ns
    assert abs(vendor.modified.timestamp() - stamp / 1e9) < 1e-3
    assert "not valid TOML" in entries[1].problem


# --- names ---------------------------------------------------------------------------------

HOSTILE = [
    "../../x", "../x", "..", ".", "./x", "x/../../y", "/etc/passwd", "/tmp/evil",
    "C:\\Windows\\evil", "\\\\server\\share\\x", "a/b", "a\\b", "~", "~root/x",
    "CON", "con", "Con.toml", "NUL", "nul.json", "PRN", "AUX", "COM1", "com9", "LPT1",
    "lpt9.txt", "CON.plan", "COM\u00b9", "conin$", "x\x00y", "\x00", "a\x00/../../x",
    "A" * (MAX_NAME_CHARS + 1), "A" * 300, "\U0001d538" * 60, "", "   ", "\t", "\n",
    "name\n", "a\rb", ".hidden", ".env", "..toml", ".toml", "x.", "x..", "x ", "x. ",
    "\u202eexe.toml", "a\u200bb", "a\u200db", "\ufeffbom", "a\u2028b", "\uff41\uff0f\uff42",
    "a\u2215b", "a\u2044b", "a:b", "a*b", "a?b", "a<b>", "a|b", '"quoted"', "-rf",
    "$HOME", "%APPDATA%", "x;rm -rf", "`id`", "file://x", "\u0301accent first",
    "tab\tinside", "\x7fdel", "x\x1b[31mred",
]
ACCEPTED_BUT_ODD = ["plan.toml.exe", "e\u0301t\u00e9", "Plan", "PLAN", "Ãccent", "a..b"]


def test_there_are_at_least_fifty_hostile_names():
    assert len(set(HOSTILE)) >= 50


@pytest.mark.parametrize("name", HOSTILE, ids=[f"h{k}" for k in range(len(HOSTILE))])
def test_hostile_names_are_refused_or_mapped_and_nothing_leaves_the_folder(tmp_path, name):
    folder = tmp_path / "jail" / "scenarios"
    folder.mkdir(parents=True)
    (tmp_path / "outside.toml").write_text("keep")
    before = _tree(tmp_path)
    try:
        saved = Library(folder).save(_scenario(), name)
    except ScenarioNameError as exc:
        assert " — " in str(exc)  # the reason and the fix
        assert _tree(tmp_path) == before
        return
    # accepted only after mapping it to a plain name: surrounding white space dropped
    assert name != name.strip() and saved.name == name.strip()
    added = set(_tree(tmp_path)) - set(before)
    assert added == {f"jail/scenarios/{saved.path.name}", f"jail/scenarios/{LOCK_NAME}"}
    assert saved.path.resolve().parent == folder.resolve()


def test_most_hostile_names_are_refused_outright():
    refused = 0
    for name in HOSTILE:
        try:
            check_name(name)
        except ScenarioNameError:
            refused += 1
    assert refused >= len(HOSTILE) - 3  # "name\n", "x ", "\ufeffbom"-like strip cases


@pytest.mark.parametrize("name", HOSTILE + ACCEPTED_BUT_ODD)
def test_mapped_names_stay_inside_the_folder(tmp_path, name):
    folder = tmp_path / "jail" / "scenarios"
    folder.mkdir(parents=True)
    mapped = safe_name(name)
    check_name(mapped)  # always acceptable
    saved = Library(folder).save(_scenario(), mapped, overwrite=True)
    assert saved.path.resolve().parent == folder.resolve()
    outside = {k for k in _tree(tmp_path) if not k.startswith("jail/scenarios/")}
    assert outside == set()


def test_names_that_differ_only_in_case_or_normal_form_are_one_name(tmp_path):
    library = Library(tmp_path)
    first = library.save(_scenario("first"), "Plan")
    for other in ("plan", "PLAN", "pLaN.toml"):
        with pytest.raises(SaveConflictError, match="already exists"):
            library.save(_scenario("second"), other)
    assert library.read("PLAN").scenario.description == "first"
    library.save(_scenario(), "e\u0301t\u00e9")  # decomposed e + accent, composed é
    assert library.read("\u00e9t\u00e9").name == "\u00e9t\u00e9"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != LOCK_NAME) == [
        "Plan.toml", "\u00e9t\u00e9.toml"]
    assert first.path.read_bytes() == (tmp_path / "Plan.toml").read_bytes()


def test_symbolic_links_are_not_followed(tmp_path):
    secret = tmp_path / "secret.toml"
    secret.write_text(dumps_scenario(_scenario("secret")))
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "link.toml").symlink_to(secret)
    library = Library(folder)
    assert library.entries() == []
    with pytest.raises(StoreError, match="symbolic link"):
        library.save(_scenario("x"), "link", overwrite=True)
    assert secret.read_text() == dumps_scenario(_scenario("secret"))


# --- conflicts ----------------------------------------------------------------------------


def test_a_save_over_a_changed_file_is_refused(tmp_path):
    library = Library(tmp_path)
    library.save(_scenario("v1"), "case")
    mine = library.read("case")
    theirs = library.read("case")
    library.save(_scenario("theirs"), "case", expected=theirs.fingerprint)
    with pytest.raises(SaveConflictError, match="changed since you opened it"):
        library.save(_scenario("mine"), "case", expected=mine.fingerprint)
    assert library.read("case").scenario.description == "theirs"
    # a save-as under a new name still works, and so does an explicit overwrite
    library.save(_scenario("mine"), "case (mine)")
    library.save(_scenario("mine"), "case", overwrite=True)
    assert library.read("case").scenario.description == "mine"


def test_a_save_over_a_deleted_file_is_refused(tmp_path):
    library = Library(tmp_path)
    opened = library.save(_scenario(), "gone")
    opened.path.unlink()
    with pytest.raises(SaveConflictError, match="deleted"):
        library.save(_scenario(), "gone", expected=opened.fingerprint)
    assert not opened.path.exists()


def _race(folder: str, who: str, rounds: int, barrier, queue) -> None:
    """One of two processes: each round both read the file, then both save over it."""
    library = Library(folder)
    for r in range(rounds):
        barrier.wait()
        opened = library.read("shared")
        barrier.wait()
        text = f"{who} round {r}"
        try:
            library.save(_scenario(text), "shared", expected=opened.fingerprint)
            queue.put((r, who, "saved"))
        except SaveConflictError:
            queue.put((r, who, "refused"))
        barrier.wait()


def test_two_processes_saving_at_once_never_both_win(tmp_path):
    Library(tmp_path).save(_scenario("start"), "shared")
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(2), context.Queue()
    rounds = 8
    workers = [context.Process(target=_race, args=(str(tmp_path), who, rounds, barrier, queue))
               for who in ("A", "B")]
    for worker in workers:
        worker.start()
    outcomes = [queue.get(timeout=120) for _ in range(2 * rounds)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    for r in range(rounds):
        this = sorted((who, what) for k, who, what in outcomes if k == r)
        assert sorted(what for _, what in this) == ["refused", "saved"], this
    last_winner = next(who for k, who, what in outcomes if k == rounds - 1 and what == "saved")
    description = Library(tmp_path).read("shared").scenario.description
    assert description == f"{last_winner} round {rounds - 1}"
    assert _leftovers(tmp_path, {"shared.toml"}) == set()


# --- interrupted writes -----------------------------------------------------------------------


class Killed(BaseException):
    """An interruption that is not an OSError (as if the process were stopped)."""


def _cut_write(monkeypatch, cut: int, error: BaseException) -> None:
    """Make the next temporary file accept ``cut`` characters, then fail with ``error``."""
    real = tempfile.NamedTemporaryFile

    def faulty(*args, **kwargs):
        handle = real(*args, **kwargs)
        write = handle.file.write

        def partial(text):
            write(text[:cut])
            handle.file.flush()
            raise error

        handle.write = partial
        return handle

    monkeypatch.setattr(store.tempfile, "NamedTemporaryFile", faulty)


def _fail(error: BaseException):
    def raise_(*args, **kwargs):
        raise error
    return raise_


def _cases():
    rng = random.Random(20_260_101)  # fixed: the same points every run
    text_length = len(dumps_scenario(_scenario("new " * 200)))
    for k in range(12):
        cut = rng.randrange(0, text_length)
        error = OSError(errno.ENOSPC, "No space left on device") if k % 2 else Killed()
        yield pytest.param(("write", cut, error), id=f"write-{cut}-{type(error).__name__}")
    for point in ("fsync", "chmod", "replace"):
        for error in (OSError(errno.EIO, "I/O error"), Killed()):
            yield pytest.param((point, None, error), id=f"{point}-{type(error).__name__}")


@pytest.mark.parametrize("fault", list(_cases()))
def test_an_interrupted_save_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch,
                                                                      fault):
    point, cut, error = fault
    library = Library(tmp_path)
    old = library.save(_scenario("old"), "case")
    old_bytes = old.path.read_bytes()
    if point == "write":
        _cut_write(monkeypatch, cut, error)
    else:
        monkeypatch.setattr(store.os, point, _fail(error))
    expected = StoreError if isinstance(error, OSError) else Killed
    with pytest.raises(expected):
        library.save(_scenario("new " * 200), "case", expected=old.fingerprint)
    monkeypatch.undo()
    assert old.path.read_bytes() == old_bytes
    assert library.read("case").scenario.description == "old"
    assert _leftovers(tmp_path, {"case.toml"}) == set()
    # and the next save goes through with the old fingerprint (nothing changed)
    library.save(_scenario("next"), "case", expected=old.fingerprint)


# --- schema versions ----------------------------------------------------------------------------


def _digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_a_fixture_of_every_schema_version_is_kept():
    versions = {int(p.stem.removeprefix("schema_v")) for p in FIXTURES.glob("schema_v*.toml")}
    assert versions == set(range(SCHEMA_VERSION + 2))  # every version, and one too new


def test_version_0_loads_through_the_migration_and_says_so():
    path = FIXTURES / "schema_v0.toml"
    before = _digest(path)
    with pytest.warns(MigrationWarning, match="schema version 0") as caught:
        old = load_scenario(path)
    message = str(caught[0].message)
    for renamed in ("discount_rate_annual", "organisation.headcount", "go_live_month",
                    "simulation.samples"):
        assert renamed in message
    current = load_scenario(FIXTURES / "schema_v1.toml")
    # the same case, written in two layouts: the same scenario once migrated
    assert old.canonical_json() == current.canonical_json()
    assert _digest(path) == before  # loading never rewrites the file
    loaded = Library(FIXTURES).read("schema_v0")
    assert (loaded.upgrade.from_version, loaded.upgrade.migrated) == (0, True)
    assert _digest(path) == before


def test_the_current_version_loads_without_a_note():
    with warnings.catch_warnings():
        warnings.simplefilter("error", MigrationWarning)
        load_scenario(FIXTURES / "schema_v1.toml")
    assert not Library(FIXTURES).read("schema_v1").upgrade.notes


def test_a_newer_version_is_refused_clearly_and_left_alone():
    path = FIXTURES / "schema_v2.toml"
    before = _digest(path)
    for read in (load_scenario, lambda p: Library(FIXTURES).read(p.stem)):
        with pytest.raises(ScenarioError) as info:
            read(path)
        problem = info.value.problems[0]
        assert problem.path == "schema_version" and problem.value == 2
        assert "newer costmodel" in problem.message and "upgrade costmodel" in problem.message
    assert _digest(path) == before


def test_saving_a_migrated_file_writes_the_current_version(tmp_path):
    library = Library(tmp_path)
    (tmp_path / "old.toml").write_bytes((FIXTURES / "schema_v0.toml").read_bytes())
    loaded = library.read("old")
    library.save(loaded.scenario, "old", expected=loaded.fingerprint)
    assert library.read("old").upgrade.from_version == SCHEMA_VERSION


@pytest.mark.parametrize(("data", "fix"), [
    ({**MINIMAL, "schema_version": "1"}, "whole number"),
    ({**MINIMAL, "schema_version": -1}, "whole number"),
    ({**MINIMAL, "schema_version": True}, "whole number"),
    ({**MINIMAL, "discount_rate_annual": 0.1, "discount_rate": 0.1}, "keep only"),
])
def test_malformed_versions_and_mixed_layouts_are_explained(data, fix):
    with pytest.raises(ScenarioError, match=fix):
        upgrade(data)


# --- uploads -------------------------------------------------------------------------------------


def test_an_upload_is_validated_before_anything_is_saved(tmp_path):
    good = (ROOT / "scenarios" / EXAMPLES[0].name).read_bytes()
    scenario, upgraded = parse_upload(good, "case.toml")
    assert scenario.name == load_scenario(EXAMPLES[0]).name and not upgraded.migrated
    for content, name, match in [
        (b"name = ", "x.toml", "not valid TOML"),
        (b"\xff\xfe", "x.toml", "UTF-8"),
        (good, "x.yaml", "unknown file type"),
        (b"#" * (store.MAX_FILE_BYTES + 1), "x.toml", "larger than"),
        (b'{"name": "x"}', "x.json", "required key"),
    ]:
        with pytest.raises(ScenarioError, match=match):
            parse_upload(content, name)
    assert list(tmp_path.iterdir()) == []


def test_the_command_line_notes_a_migration_and_refuses_a_newer_file(capsys):
    from costmodel import cli

    assert cli.main(["validate", str(FIXTURES / "schema_v0.toml")]) == 0
    captured = capsys.readouterr()
    assert "valid" in captured.out
    assert captured.err.startswith("note: ") and "schema version 0" in captured.err
    assert cli.main(["validate", str(FIXTURES / "schema_v2.toml")]) == 2
    error = capsys.readouterr().err
    assert "schema version 2" in error and "Traceback" not in error


# --- share links ------------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_travels_in_a_link(example):
    from costmodel import sharelink

    scenario = load_scenario(example)
    token = sharelink.encode(scenario)
    assert len(token) <= sharelink.MAX_TOKEN_CHARS
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert sharelink.decode(token).canonical_json() == scenario.canonical_json()


def test_bad_links_are_explained():
    import base64
    import zlib

    from costmodel import sharelink

    def pack(raw: bytes) -> str:
        return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")

    token = sharelink.encode(_scenario())
    bomb = pack(b" " * (store.MAX_FILE_BYTES + 10))  # small token, huge once unpacked
    assert len(bomb) < sharelink.MAX_TOKEN_CHARS
    for bad, match in [("", "empty"), (token[:-5], "damaged"), ("%%%%", "damaged"),
                       ("A" * (sharelink.MAX_TOKEN_CHARS + 1), "longer than"),
                       (bomb, "too large"), (pack(b"[1, 2]"), "table of keys"),
                       (pack(b'{"schema_version": 9}'), "newer costmodel")]:
        with pytest.raises(ScenarioError, match=match):
            sharelink.decode(bad)
    rng = random.Random(1)  # random text does not compress: 3 x 4,000 characters
    text = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(4_000))
            for _ in range(3)]
    big = parse_scenario({**MINIMAL, "description": text[0], "costs": [
        {"name": "a", "category": "other", "kind": "monthly", "amount": 1, "note": text[1]},
        {"name": "b", "category": "other", "kind": "monthly", "amount": 1, "note": text[2]}]})
    with pytest.raises(sharelink.LinkTooLong, match="download the file"):
        sharelink.encode(big)
