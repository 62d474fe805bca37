"""``costmodel sensitivity PATH``: readable and JSON output, exit code 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

from costmodel.cli import main

EXAMPLE = str(Path(__file__).parents[1] / "scenarios" / "invoice_automation.toml")


def test_json_has_every_view_for_the_chosen_strategy(capsys):
    code = main(["sensitivity", EXAMPLE, "--json", "--samples", "64", "--trials", "512",
                 "--strategy", "All at once"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["metric"] == "npv"
    assert list(data["tornado"]["strategies"]) == ["All at once"]
    rows = data["tornado"]["strategies"]["All at once"]["inputs"]
    assert [r["swing"] for r in rows] == sorted((r["swing"] for r in rows), reverse=True)
    assert data["rank_correlations"]["trials"] == 512
    sobol = data["sobol"]["strategies"]["All at once"]
    assert sobol["challenges"] and sobol["items"] and sobol["inputs"]
    assert all(r["first_order_ci"][0] <= r["first_order_ci"][1] for r in sobol["inputs"])


def test_readable_report_and_another_metric(capsys):
    assert main(["sensitivity", EXAMPLE, "--metric", "roi", "--no-indices", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "Sensitivity of roi" in out and "Tornado" in out and "Sobol" not in out


def test_bad_input_exits_2_with_a_message(capsys, tmp_path):
    for argv, words in (([EXAMPLE, "--strategy", "Nope"], "no strategy 'Nope'"),
                        ([EXAMPLE, "--samples", "100"], "power of two"),
                        ([EXAMPLE, "--metric", "payback_months", "--samples", "64"],
                         "not finite"),
                        ([str(tmp_path / "missing.toml")], "missing.toml")):
        assert main(["sensitivity", *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error:") and words in err and "Traceback" not in err
