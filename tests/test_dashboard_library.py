"""The dashboard's folder of saved scenarios and the Compare page (AppTest): save with the
conflict check, save as, upload, share link, and a comparison whose answer is known."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from costmodel import sharelink
from costmodel.dashboard import compute, state
from costmodel.dashboard.testing import new_session
from costmodel.dashboard.views import compare as compare_page
from costmodel.library import FOLDER_VARIABLE
from costmodel.scenario import parse_scenario
from costmodel.store import load_scenario, save_scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = "customer_service_assistant.toml"


@pytest.fixture(autouse=True)
def _empty_caches():
    st.cache_data.clear()
    compute.clear()
    compare_page.clear()
    yield


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """A folder of saved scenarios holding copies of the examples."""
    folder = tmp_path / "saved"
    folder.mkdir()
    for path in (ROOT / "scenarios").glob("*.toml"):
        shutil.copy(path, folder / path.name)
    monkeypatch.setenv(FOLDER_VARIABLE, str(folder))
    return folder


def _edited(app: AppTest, **changes) -> AppTest:
    """Make an edit as an editing page's Apply would (a valid draft)."""
    draft = copy.deepcopy(app.session_state[state.DRAFT])
    draft.update(changes)
    app.session_state[state.DRAFT] = parse_scenario(draft).to_data()
    return app.run()


def _errors(app: AppTest) -> str:
    return " ".join(e.value for e in app.sidebar.error)


def test_the_sidebar_lists_the_saved_scenarios(folder):
    app = new_session().run()
    assert not app.exception
    listing = app.sidebar.dataframe[0].value
    assert sorted(listing["file"]) == sorted(p.stem for p in folder.glob("*.toml"))
    row = listing[listing["file"] == "invoice_automation"].iloc[0]
    assert row["scenario"] == "Invoice automation for a 6-clerk AP team"
    assert row["description"].startswith("Invoice capture")
    assert row["last change"][:2] == "20"


def test_save_writes_the_edit_and_refuses_after_someone_else_changed_the_file(folder):
    app = _edited(new_session().run(), description="edited in the dashboard")
    app.sidebar.button(key="sidebar.save").click().run()
    assert not app.exception and not app.sidebar.error
    assert load_scenario(folder / EXAMPLE).description == "edited in the dashboard"
    # someone else saves the file; our next save must not overwrite it
    theirs = load_scenario(folder / EXAMPLE).model_copy(update={"description": "theirs"})
    save_scenario(theirs, folder / EXAMPLE)
    app = _edited(app, description="ours again")
    app.sidebar.button(key="sidebar.save").click().run()
    assert "changed since you opened it" in _errors(app)
    assert load_scenario(folder / EXAMPLE).description == "theirs"


def test_save_as_makes_a_new_file_and_refuses_hostile_or_taken_names(folder):
    app = _edited(new_session().run(), description="vendor numbers")
    before = {p.name for p in folder.parent.rglob("*")}
    for name, message in (("../outside", "hidden file"), ("x/../../y", "not allowed"),
                          ("CON", "reserved"),
                          ("Customer_Service_Assistant", "already exists")):
        app.sidebar.text_input(key="sidebar.save_as_name").input(name)
        app.sidebar.button[[b.label for b in app.sidebar.button].index(
            "Save as new scenario")].click().run()
        assert message in _errors(app), name
    assert {p.name for p in folder.parent.rglob("*")} - before <= {".costmodel.lock"}
    app.sidebar.text_input(key="sidebar.save_as_name").input("Vendor case")
    app.sidebar.button[[b.label for b in app.sidebar.button].index(
        "Save as new scenario")].click().run()
    assert not app.exception and not _errors(app)
    assert load_scenario(folder / "Vendor case.toml").description == "vendor numbers"
    assert Path(app.session_state[state.PATH]).name == "Vendor case.toml"
    assert "As saved in the file." in [c.value for c in app.sidebar.caption]


def _upload(folder: Path, file_name: str, content: bytes) -> AppTest:
    def script(file_name, content):
        from costmodel.dashboard import sidebar

        sidebar.handle_upload(file_name, content)

    app = AppTest.from_function(script, args=(file_name, content), default_timeout=30)
    return app.run()


def test_an_upload_is_checked_before_anything_is_saved(folder):
    before = sorted(p.name for p in folder.iterdir())
    for content, name, message in ((b"name = ", "bad.toml", "not valid TOML"),
                                   (b"{}", "empty.json", "required key"),
                                   (b"x" * 1_000_001, "big.toml", "more than 1,000,000")):
        app = _upload(folder, name, content)
        assert not app.exception and message in app.error[0].value
        assert not app.button  # no way to save it
    assert sorted(p.name for p in folder.iterdir()) == before
    good = (ROOT / "scenarios" / "invoice_automation.toml").read_bytes()
    app = _upload(folder, "AP plan (v2).toml", good)
    assert "is valid" in app.success[0].value
    assert app.text_input[0].value == "AP plan (v2)"
    assert sorted(p.name for p in folder.iterdir()) == before  # still nothing saved


def test_a_share_link_reopens_the_case_and_a_bad_one_is_explained(folder):
    app = _edited(new_session().run(), discount_rate=0.07, name="Shared case")
    app.sidebar.button(key="sidebar.share").click().run()
    token = app.query_params[sharelink.QUERY_KEY]
    token = token[0] if isinstance(token, list) else token
    assert sharelink.decode(token).discount_rate == 0.07
    assert any(token in c.value for c in app.sidebar.code)
    other = new_session()
    other.query_params[sharelink.QUERY_KEY] = token
    other.run()
    assert not other.exception
    assert parse_scenario(other.session_state[state.DRAFT]).name == "Shared case"
    assert "from the link" in other.sidebar.info[0].value
    broken = new_session()
    broken.query_params[sharelink.QUERY_KEY] = token[:-40]
    broken.run()
    assert not broken.exception
    assert "Could not open the shared link" in _errors(broken)
    assert parse_scenario(broken.session_state[state.DRAFT]).name != "Shared case"


def test_the_compare_page_attributes_a_known_difference(folder):
    # the vendor's copy: a 10,000 cost pinned to month 6 is added; nothing else changes,
    # so every strategy's expected NPV falls by exactly its present value (this example
    # has no abandonment risk that could stop the cost from being paid)
    base_file = folder / "knowledge_assistant.toml"
    data = load_scenario(base_file).to_data()
    data["name"] = "Vendor case"
    data["costs"].append({"name": "Vendor onboarding", "category": "consulting",
                          "kind": "one_time", "amount": 10_000, "start_month": 6})
    save_scenario(parse_scenario(data), folder / "vendor.toml")
    app = new_session().run()
    app.switch_page("views/compare.py").run()
    app.multiselect(key=compare_page.CHOSEN).set_value([base_file.name, "vendor.toml"])
    app.run()
    assert not app.exception and not app.error
    summary = app.dataframe[0].value
    assert list(summary["scenario"]).count("Vendor case") == 2
    specs = [json.loads(c.proto.spec) for c in app.get("plotly_chart")]
    titles = [s["layout"]["title"]["text"] for s in specs]
    assert any("NPV of All at once" in t for t in titles)
    assert any("Cumulative cash of All at once" in t for t in titles)
    waterfall = next(s for s in specs if s["data"][0]["type"] == "waterfall")
    base, *steps, other = waterfall["data"][0]["y"]
    rate = load_scenario(base_file).discount_rate
    expected = -10_000 * (1 + rate) ** (-6 / 12)  # month 6 at the monthly rate
    assert steps == [pytest.approx(expected, rel=1e-9)]
    assert other == pytest.approx(base + expected, rel=1e-9)
    assert "Vendor onboarding" in waterfall["data"][0]["x"][1]
