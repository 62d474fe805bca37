"""The dashboard as a whole: start-up, sidebar, sessions kept apart, no streamlit in the
model's import path, the `costmodel app` command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import streamlit as st

from costmodel.cli import app_command, main
from costmodel.dashboard import compute
from costmodel.dashboard.testing import editor_key, expected_npv, new_session


@pytest.fixture(autouse=True)
def _empty_caches():
    st.cache_data.clear()
    compute.clear()
    yield


def _charts(app):
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


@pytest.mark.parametrize("module", ["costmodel", "costmodel.charts", "costmodel.verdict"])
def test_importing_the_model_does_not_import_streamlit(module):
    code = f"import {module}, sys; assert 'streamlit' not in sys.modules, 'streamlit loaded'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_overview_shows_cards_verdict_and_four_charts_for_each_strategy():
    app = new_session().run()
    assert not app.exception
    npv = expected_npv(app)
    assert list(npv) == ["All at once", "Pilot, then two waves"]
    verdict = app.info[0].value
    assert "All at once" in verdict and "Pilot, then two waves" in verdict
    assert "loses money" in verdict
    labels = {m.label for m in app.metric}
    assert {"Chance NPV > 0", "Median payback", "Peak cash need",
            "Chance of breaking the budget"} <= labels
    specs = _charts(app)
    assert len(specs) == 4
    for spec in specs:
        notes = [a["text"] for a in spec["layout"].get("annotations", [])
                 if a["text"].startswith("Source:")]
        assert notes and "1,024 trials (sobol)" in notes[0]


def test_a_strategy_keeps_its_colour_in_every_chart():
    app = new_session().run()
    colours: dict[str, set[str]] = {}
    for spec in _charts(app)[:3]:  # fan, distribution, payback
        for trace in spec["data"]:
            name = trace.get("name", "")
            colour = (trace.get("marker") or {}).get("color") or (trace.get("line") or {}).get(
                "color")
            for strategy in ("All at once", "Pilot, then two waves"):
                if name.startswith(strategy) and colour:
                    colours.setdefault(strategy, set()).add(colour)
    assert all(len(found) == 1 for found in colours.values()), colours
    assert colours["All at once"] != colours["Pilot, then two waves"]


def test_trials_and_seed_from_the_sidebar_reach_the_run():
    app = new_session().run()
    app.sidebar.number_input(key="sidebar.trials").set_value(2_048).run()
    app.sidebar.number_input(key="sidebar.seed").set_value(7).run()
    assert not app.exception
    note = next(a["text"] for a in _charts(app)[0]["layout"]["annotations"]
            if a["text"].startswith("Source:"))
    assert "2,048 trials" in note and "seed 7" in note


def test_the_scenario_picker_opens_another_file():
    app = new_session().run()
    app.sidebar.selectbox(key="sidebar.scenario_file").set_value(
        "invoice_automation.toml").run()
    assert not app.exception
    assert "invoice" in app.sidebar.markdown[0].value.lower()
    assert "As saved in the file." in [c.value for c in app.sidebar.caption]


def _raise_licence(app, price: float):
    app.switch_page("views/costs_benefits.py").run()
    app.session_state[editor_key("costs")] = {
        "edited_rows": {0: {"amount_likely": price}}, "added_rows": [], "deleted_rows": []}
    app.run()
    app.button(key="apply.costs_benefits").click().run()
    assert not app.exception


def test_two_sessions_never_see_each_others_edits():
    first, second = new_session().run(), new_session().run()
    before = expected_npv(first)
    _raise_licence(first, 120.0)
    second.switch_page("views/costs_benefits.py").run()
    assert expected_npv(first)["All at once"] < before["All at once"]
    assert expected_npv(second) == pytest.approx(before)
    assert [w.value for w in first.sidebar.warning]
    assert not [w.value for w in second.sidebar.warning]
    assert second.data_editor[0].value["amount_likely"][0] == 45


def test_reset_returns_to_the_file_as_saved():
    app = new_session().run()
    before = expected_npv(app)
    _raise_licence(app, 90.0)
    assert expected_npv(app)["All at once"] < before["All at once"]
    app.sidebar.button(key="sidebar.reset").click().run()
    assert not app.exception
    assert expected_npv(app) == pytest.approx(before)
    assert not app.sidebar.warning
    assert app.data_editor[0].value["amount_likely"][0] == 45


def test_costmodel_app_binds_to_localhost_with_usage_statistics_off():
    command = app_command(None, 8600)
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--browser.gatherUsageStats") + 1] == "false"
    assert command[command.index("--server.enableXsrfProtection") + 1] == "true"
    assert command[3] == "run" and command[4].endswith("dashboard/app.py")


def test_costmodel_app_refuses_a_missing_file(capsys):
    assert main(["app", "no/such/file.toml"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_no_dashboard_module_holds_mutable_state_at_module_level():
    """A module-level dict, list or set in a Streamlit app is shared by every session;
    constants are tuples, strings or read-only mappings."""
    import ast
    import importlib
    import pkgutil
    from pathlib import Path

    import costmodel.dashboard as package

    found, checked = [], 0
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        tree = ast.parse(Path(module.__file__).read_text())
        names = [target.id for node in tree.body if isinstance(node, ast.Assign | ast.AnnAssign)
                 for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                 if isinstance(target, ast.Name) and not target.id.startswith("__")]
        checked += len(names)
        found += [f"{info.name}.{name}" for name in names
                  if isinstance(getattr(module, name), dict | list | set | bytearray)]
    assert checked > 20 and not found, found


def test_the_shipped_streamlit_config_and_costmodel_app_agree_and_are_safe():
    import tomllib
    from pathlib import Path

    from costmodel.charts import PALETTE
    from costmodel.dashboard import settings

    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml")
                           .read_text())
    wanted = {**settings.SERVER_OPTIONS, **settings.THEME_OPTIONS}
    for option, value in wanted.items():
        section, key = option.split(".")
        assert str(config[section][key]).lower() == value.lower(), option
    assert config["server"]["enableXsrfProtection"] is True
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["maxUploadSize"] <= 5
    assert config["client"]["showErrorDetails"] == "none"
    command = app_command(None, 8600)
    for option, value in wanted.items():
        assert command[command.index(f"--{option}") + 1] == value
    # a strategy's swatch colour is its chart colour
    assert settings.PALETTE == PALETTE
    for index, name in enumerate(settings.MARKDOWN_COLOURS):
        if name != "red" and settings.MARKDOWN_COLOURS.index(name) == index:
            assert config["theme"][f"{name}TextColor"] == PALETTE[index]


#: Text a user might type, with HTML and markdown in it.
_HOSTILE = "<img src=x onerror=alert(1)> [site](https://example.com) **loud**"


def _shown_text(app) -> list[str]:
    """Every piece of text the page sends as markdown: bodies, labels, captions,
    alerts, expander and tab labels, and the charts' text."""
    texts = []
    for kind in ("markdown", "caption", "info", "error", "warning", "success", "title",
                 "subheader", "header"):
        for element in app.get(kind):
            assert not getattr(element.proto, "allow_html", False), kind  # never raw HTML
            texts.append(element.value)
    texts += [m.label for m in app.metric]
    texts += [e.label for e in app.get("expandable")]
    texts += [t.label for t in app.get("tab")]
    return texts


def test_text_a_user_typed_is_never_rendered_as_html_or_markdown(tmp_path, monkeypatch):
    from costmodel.dashboard.main import PAGE_LIST
    from costmodel.store import load_scenario

    data = load_scenario("scenarios/customer_service_assistant.toml").to_data()
    data["name"] = f"Plan {_HOSTILE}"
    data["description"] = f"About {_HOSTILE}"
    renamed = {}
    for group, prefix in (("costs", "Seat"), ("benefits", "Tickets"), ("strategies", "All"),
                          ("risks", "Incident")):
        renamed[data[group][0]["name"]] = data[group][0]["name"] = f"{prefix} {_HOSTILE}"
    for correlation in data["correlations"]:  # they name inputs by item and strategy
        correlation["between"] = [
            next((new + label[len(old):] for old, new in renamed.items()
                  if label.startswith(old + ":")), label) for label in correlation["between"]]
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(data))
    monkeypatch.setattr(sys, "argv", ["app.py", "--scenario", str(path)])
    app = new_session().run()
    seen = 0
    for name, _, _ in PAGE_LIST:
        app.switch_page(f"views/{name}").run()
        assert not app.exception, name
        for text in _shown_text(app):  # markdown: escaped (\<img, \[site\], \*\*)
            if "img src=x" in text:
                seen += 1
                assert "<img" not in text.replace("\\<img", ""), (name, text)
                assert "[site](" not in text.replace("\\[site\\](", ""), (name, text)
                assert "**loud**" not in text, (name, text)
        for chart in app.get("plotly_chart"):  # plotly renders a few HTML tags: entities
            seen += "img src=x" in chart.proto.spec
            assert "<img" not in chart.proto.spec, name
    assert seen >= 10, [e.value for e in app.sidebar.error]  # the names reached the pages


def test_runs_are_cached_on_the_canonical_scenario_across_sessions(monkeypatch):
    runs = []
    real = compute.simulate

    def counting(scenario, **kwargs):
        runs.append(scenario.canonical_json())
        return real(scenario, **kwargs)

    monkeypatch.setattr(compute, "simulate", counting)
    first = new_session().run()
    second = new_session().run()  # the same file and settings: served from the cache
    assert not first.exception and not second.exception
    assert len(runs) == 1
    assert expected_npv(first) == expected_npv(second)
    _raise_licence(second, 50.0)  # a new scenario: one more run (draft), baseline cached
    assert len(runs) == 2 and runs[0] != runs[1]
