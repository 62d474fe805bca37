"""Reading and writing scenario files: examples load, round trips are exact, saves are atomic."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel import store
from costmodel.distributions import Distribution
from costmodel.errors import CostModelError, ScenarioError, StoreError
from costmodel.scenario import Scenario, parse_scenario
from costmodel.store import dumps_scenario, load_scenario, loads_scenario, save_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
FILES = sorted(p for p in SCENARIOS.iterdir() if p.suffix in (".toml", ".json"))
EXAMPLES = ["customer_service_assistant.toml", "invoice_automation.toml",
            "knowledge_assistant.toml"]
FORMATS = ["toml", "json"]

MINIMAL: dict[str, Any] = {
    "name": "Minimal",
    "organisation": {"units": 5},
    "strategies": [{"name": "All at once", "phases": [{"share": 1, "go_live": 2}]}],
}


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _no_temp_files(folder: Path) -> bool:
    return not [p.name for p in folder.iterdir() if p.name.startswith(".") and
                p.name.endswith(".tmp")]


# --- the example files ---------------------------------------------------------------------


def test_examples_exist():
    names = {p.name for p in FILES}
    assert set(EXAMPLES) <= names


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_every_scenario_file_loads(path: Path):
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.name.strip()
    assert scenario.strategies


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_cover_the_five_challenges(name: str):
    scenario = load_scenario(SCENARIOS / name)
    categories = {cost.category for cost in scenario.costs}
    assert categories & {"training", "change_management"}, "resistance to change"
    assert "data" in categories, "data quality"
    assert "integration" in categories, "integration"
    assert categories & {"compliance", "security"}, "regulation and privacy"
    assert "licensing" in categories, "budget and licences"
    assert isinstance(scenario.adoption.data_quality, Distribution)
    assert isinstance(scenario.adoption.ceiling, Distribution)
    assert scenario.currency == "USD" and scenario.horizon_months == 36


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_compare_all_at_once_with_a_phased_plan(name: str):
    scenario = load_scenario(SCENARIOS / name)
    all_at_once = next(s for s in scenario.strategies if s.name == "All at once")
    assert [p.share for p in all_at_once.phases] == [1.0]
    phased = [s for s in scenario.strategies if len(s.phases) > 1]
    assert phased
    for strategy in phased:
        assert strategy.learning.adoption_speedup != 1.0
        dip_phased = _point(strategy.disruption.productivity_dip)
        assert 0 < dip_phased < _point(all_at_once.disruption.productivity_dip)


def _point(value: float | Distribution) -> float:
    return value.point() if isinstance(value, Distribution) else value


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_load_save_load_gives_an_equal_scenario(path: Path, fmt: str, tmp_path: Path):
    original = load_scenario(path)
    target = save_scenario(original, tmp_path / f"copy.{fmt}")
    assert target == tmp_path / f"copy.{fmt}"
    again = load_scenario(target)
    assert again == original
    assert again.content_hash() == original.content_hash()
    assert again.canonical_json() == original.canonical_json()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_save_load_save_gives_identical_text(path: Path, fmt: str, tmp_path: Path):
    first = save_scenario(load_scenario(path), tmp_path / f"first.{fmt}")
    second = save_scenario(load_scenario(first), tmp_path / f"second.{fmt}")
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text(encoding="utf-8") == dumps_scenario(load_scenario(path), fmt)


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_toml_output_is_plain_toml(path: Path):
    text = dumps_scenario(load_scenario(path), "toml")
    data = tomllib.loads(text)
    assert data["schema_version"] == 1
    assert parse_scenario(data) == load_scenario(path)


def test_toml_and_json_texts_describe_the_same_scenario():
    scenario = load_scenario(SCENARIOS / EXAMPLES[0])
    from_toml = loads_scenario(dumps_scenario(scenario, "toml"), "toml")
    from_json = loads_scenario(dumps_scenario(scenario, "json"), "json")
    assert from_toml == from_json == scenario


# --- content hash --------------------------------------------------------------------------


def _with(data: dict[str, Any], path: tuple, value: Any) -> Scenario:
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return parse_scenario(data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_content_hash_is_stable_across_save_and_load(fmt: str, tmp_path: Path):
    scenario = load_scenario(SCENARIOS / "invoice_automation.toml")
    digest = scenario.content_hash()
    assert len(digest) == 16 and int(digest, 16) >= 0
    copy = load_scenario(save_scenario(scenario, tmp_path / f"plan.{fmt}"))
    assert copy.content_hash() == digest
    assert load_scenario(SCENARIOS / "invoice_automation.toml").content_hash() == digest


@pytest.mark.parametrize(("path", "value"), [
    (("costs", 1, "amount"), 66),
    (("costs", 3, "amount"), {"pert": [10_000, 20_000, 60_001]}),
    (("discount_rate",), 0.11),
    (("horizon_months",), 48),
    (("strategies", 1, "phases", 1, "go_live"), 9),
    (("organisation", "units"), 7),
])
def test_content_hash_changes_when_a_number_changes(path: tuple, value: Any):
    scenario = load_scenario(SCENARIOS / "invoice_automation.toml")
    changed = _with(scenario.to_data(), path, value)
    assert changed != scenario
    assert changed.content_hash() != scenario.content_hash()


def test_content_hash_ignores_how_a_number_is_written():
    scenario = load_scenario(SCENARIOS / "invoice_automation.toml")
    same = _with(scenario.to_data(), ("costs", 1, "amount"), 65)  # int, file has 65 too
    assert same.content_hash() == scenario.content_hash()
    also_same = _with(scenario.to_data(), ("costs", 1, "amount"), 65.0)
    assert also_same.content_hash() == scenario.content_hash()


# --- atomic saves --------------------------------------------------------------------------


def _failing_write(real_factory):
    """A NamedTemporaryFile whose write puts half the text on disk, then runs out of space."""

    def factory(*args, **kwargs):
        handle = real_factory(*args, **kwargs)
        real_write = handle.write

        def write(text: str) -> int:
            real_write(text[: len(text) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

        handle.write = write
        return handle

    return factory


def _raise(*args, **kwargs):
    raise OSError(errno.EIO, "Input/output error")


FAILURES = ["replace", "fsync", "write"]


def _break(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    if where == "replace":
        monkeypatch.setattr(os, "replace", _raise)
    elif where == "fsync":
        monkeypatch.setattr(os, "fsync", _raise)
    else:
        monkeypatch.setattr(store.tempfile, "NamedTemporaryFile",
                            _failing_write(tempfile.NamedTemporaryFile))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("where", FAILURES)
def test_failed_save_leaves_the_old_file_intact(where: str, fmt: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch):
    scenario = load_scenario(SCENARIOS / "knowledge_assistant.toml")
    target = save_scenario(scenario, tmp_path / f"plan.{fmt}")
    before = target.read_bytes()
    changed = _with(scenario.to_data(), ("discount_rate",), 0.12)

    _break(monkeypatch, where)
    with pytest.raises(StoreError) as info:
        save_scenario(changed, target)
    monkeypatch.undo()

    assert isinstance(info.value, OSError) and isinstance(info.value, CostModelError)
    assert info.value.__cause__.errno == (errno.ENOSPC if where == "write" else errno.EIO)
    assert str(target) in str(info.value)
    assert "unchanged" in str(info.value)
    assert target.read_bytes() == before
    assert load_scenario(target) == scenario
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"plan.{fmt}"]


@pytest.mark.parametrize("where", FAILURES)
def test_failed_save_of_a_new_file_leaves_nothing(where: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch):
    scenario = parse_scenario(MINIMAL)
    _break(monkeypatch, where)
    with pytest.raises(StoreError):
        save_scenario(scenario, tmp_path / "new.toml")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_save_to_a_missing_folder(tmp_path: Path):
    target = tmp_path / "no" / "such" / "folder" / "plan.toml"
    with pytest.raises(StoreError) as info:
        save_scenario(parse_scenario(MINIMAL), target)
    assert "plan.toml" in str(info.value)
    assert not (tmp_path / "no").exists()


def test_save_replaces_an_existing_file(tmp_path: Path):
    target = tmp_path / "plan.toml"
    target.write_text("old, not even TOML", encoding="utf-8")
    save_scenario(parse_scenario(MINIMAL), target)
    assert load_scenario(target) == parse_scenario(MINIMAL)
    assert _no_temp_files(tmp_path)


def test_save_with_an_unknown_suffix_writes_nothing(tmp_path: Path):
    with pytest.raises(CostModelError) as info:
        save_scenario(parse_scenario(MINIMAL), tmp_path / "plan.yaml")
    assert "'.yaml'" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_dumps_with_an_unknown_format():
    with pytest.raises(ValueError, match="'toml' or 'json'"):
        dumps_scenario(parse_scenario(MINIMAL), "yaml")


def test_save_keeps_the_file_permissions(tmp_path: Path):
    target = tmp_path / "plan.toml"
    save_scenario(parse_scenario(MINIMAL), target)
    target.chmod(0o644)
    save_scenario(parse_scenario(MINIMAL), target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


# --- awkward text --------------------------------------------------------------------------

AWKWARD = [
    'Quote " and hash # in a name',
    'Both "quoted" # and \'single\' quotes',
    "Back\\slash C:\\scenarios\\new",
    "Two\nlines",
    "Tab\tand carriage\r\nreturn",
    "Unicode: café, Größe, 日本語, emoji 🚀",
    '"""triple""" and \'\'\'triple\'\'\'',
    "[not a table]",
    "key = value",
    "  leading and trailing spaces  ",
    "\x00\x1f\x7f control characters",
    "\u2028 line separator \ufeff BOM",
    "#",
]


def _with_text(text: str) -> dict[str, Any]:
    return {
        "name": text,
        "description": text,
        "organisation": {"units": 5, "unit_label": text},
        "costs": [{"name": text, "category": "other", "kind": "one_time", "amount": 100,
                   "note": text}],
        "benefits": [{"name": text, "kind": "amount", "amount_per_month": 50, "note": text}],
        "strategies": [{"name": text, "description": text,
                        "phases": [{"share": 1, "go_live": 2}]}],
    }


def _assert_text_round_trip(text: str, folder: Path) -> None:
    scenario = parse_scenario(_with_text(text))
    for fmt in FORMATS:
        path = save_scenario(scenario, folder / f"awkward.{fmt}")
        again = load_scenario(path)
        assert again == scenario
        assert again.name == text
        assert again.organisation.unit_label == text
        assert again.costs[0].note == text
        assert again.strategies[0].description == text
        assert dumps_scenario(again, fmt) == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("text", AWKWARD)
def test_awkward_strings_round_trip(text: str, tmp_path: Path):
    _assert_text_round_trip(text, tmp_path)


def test_awkward_name_is_escaped_not_commented_out():
    text = dumps_scenario(parse_scenario(_with_text('a "b" # c')), "toml")
    assert tomllib.loads(text)["name"] == 'a "b" # c'


def _accepted(name: str) -> bool:
    try:
        parse_scenario(_with_text(name))
    except ScenarioError:
        return False
    return True


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hypothesis_store")


@settings(max_examples=60, deadline=None)
@given(name=st.text(min_size=1, max_size=50).filter(_accepted))
def test_any_name_round_trips_through_save_and_load(name: str, store_dir: Path):
    _assert_text_round_trip(name, store_dir)
    assert _no_temp_files(store_dir)
