"""The budget-proposal pack: the PDF's pages and text, the HTML report offline and
escaped, the CSV files equal to the results, and the ``costmodel report`` command."""

from __future__ import annotations

import base64
import csv
import io
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import costmodel
from costmodel import report
from costmodel.cli import main
from costmodel.errors import CostModelError
from costmodel.results import METRIC_NAMES
from costmodel.verdict import money, verdict
from tests.test_export import EXTERNAL, HAS_BROWSER, needs_browser

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "scenarios" / "customer_service_assistant.toml"


@pytest.fixture(scope="module")
def results():
    return costmodel.simulate(costmodel.load_scenario(EXAMPLE), trials=1_024, seed=11)


@pytest.fixture(scope="module")
def pack(results, tmp_path_factory):
    if not HAS_BROWSER:
        pytest.skip("needs /usr/bin/chromium")
    out = tmp_path_factory.mktemp("pack")
    written = report.write_pack(results, out, ["pdf", "html", "csv"])
    return out, written


@needs_browser
def test_the_pack_holds_the_report_and_the_audit_files(pack):
    out, written = pack
    assert sorted(p.name for p in written) == ["report.html", "report.pdf", "summary.csv",
                                               "trials.csv"]
    assert not list(out.glob(".*"))  # written atomically: no temporary file left


@needs_browser
def test_the_pdf_numbers_its_pages_and_states_the_name_and_the_npv(pack, results):
    from pypdf import PdfReader

    reader = PdfReader(pack[0] / "report.pdf")
    pages = [page.extract_text() for page in reader.pages]
    n = len(pages)
    # each page's footer says "Page k of N", N the number of pages of the file
    for k, text in enumerate(pages, start=1):
        assert f"Page {k} of {n}" in text
    # chapters start on a new page: summary, charts, funding, assumptions, method
    # (the ten charts take at least five pages, two to a page at most)
    assert 9 <= n <= 16
    starts = [k for k, text in enumerate(pages) if re.search(
        r"^(Executive summary|Charts|Funding plan|Assumptions|Method)$", text, re.M)]
    assert len(starts) == 5
    text = " ".join(" ".join(pages).split())  # lines joined: wrapped cells read whole
    assert results.scenario.name in pages[0]
    for strategy in results.strategies:  # the expected NPV, as the table writes it
        assert money(strategy.summary.npv.mean, "USD") in pages[0]
    assert "Regional digitalisation grant" in text  # the funding plan
    assert "PERT(8,000, 15,000, 40,000)" in text  # the assumptions, with distributions
    assert results.manifest.scenario_hash in text  # the manifest


@needs_browser
def test_the_html_report_is_offline_even_inside_its_charts(pack):
    page = (pack[0] / "report.html").read_text(encoding="utf-8")
    assert not EXTERNAL.search(page)
    images = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 10
    for image in images:
        svg = base64.b64decode(image).decode("utf-8")
        assert svg.startswith("<svg") and not EXTERNAL.search(svg)


def test_user_text_is_escaped_in_the_report(results):
    data = results.scenario.to_data()
    data["name"] = "<script>alert(1)</script> & Co"
    data["costs"][0]["name"] = "<b>Seat</b>"
    data["correlations"] = []
    data["funding"]["leases"] = []
    run = costmodel.simulate(costmodel.parse_scenario(data), trials=64, seed=1)
    page = report.report_html(run, {})  # no charts: no browser needed
    assert "<script>" not in page and "<b>Seat" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert "&lt;b&gt;Seat&lt;/b&gt;" in page


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_summary_csv_holds_the_results_figures(results):
    rows = {(r["strategy"], r["metric"]): r for r in _rows(report.summary_csv(results))}
    for strategy in results.strategies:
        s = strategy.summary
        npv = rows[(strategy.name, "npv")]
        assert float(npv["mean"]) == s.npv.mean  # repr round-trips a float exactly
        assert float(npv["p10"]) == s.npv.p10 and float(npv["p90"]) == s.npv.p90
        assert float(rows[(strategy.name, "prob_npv_positive")]["mean"]) == \
            s.prob_npv_positive
        # identity: PV benefits - PV costs = NPV, trial by trial, so for the means
        pv_b = float(rows[(strategy.name, "pv_benefits")]["mean"])
        pv_c = float(rows[(strategy.name, "pv_costs")]["mean"])
        assert pv_b - pv_c == pytest.approx(float(npv["mean"]), rel=1e-9)
        fy = [float(rows[(strategy.name, f"prob_budget_breach_fy{k}")]["mean"])
              for k in (1, 2, 3)]
        np.testing.assert_allclose(fy, np.asarray(strategy.funding.breach).mean(axis=1))


def test_trials_csv_has_every_trial_exactly(results):
    rows = _rows(report.trials_csv(results))
    n = results.manifest.trials
    assert len(rows) == n * len(results.strategies)
    for k, strategy in enumerate(results.strategies):
        block = rows[k * n:(k + 1) * n]
        assert {r["strategy"] for r in block} == {strategy.name}
        assert [int(r["trial"]) for r in block] == list(range(n))
        for name in (*METRIC_NAMES, "business_npv", "budget_overshoot"):
            values = np.array([float(r[name]) for r in block])
            expected = np.asarray(getattr(strategy.metrics, name, None)
                                  if name in METRIC_NAMES
                                  else getattr(strategy.funding, name), dtype=float)
            np.testing.assert_array_equal(values, expected)  # nan, inf and all: exact
    assert any(math.isinf(float(r["payback_months"])) for r in rows)


def test_unknown_formats_are_refused_with_the_choices():
    with pytest.raises(CostModelError, match="pdf, html, png, svg, csv"):
        report.parse_formats("pdf,docx")
    assert report.parse_formats(" CSV, pdf,csv ") == ("csv", "pdf")


def test_the_report_command_writes_the_csv_files(tmp_path, capsys):
    code = main(["report", str(EXAMPLE), "--out", str(tmp_path), "--format", "csv",
                 "--trials", "128", "--seed", "2", "--sampler", "mc"])
    assert code == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(tmp_path / "summary.csv"), str(tmp_path / "trials.csv")]
    assert len(_rows((tmp_path / "trials.csv").read_text())) == 2 * 128


@pytest.mark.parametrize(("arguments", "message"), [
    (["--format", "docx"], "--format"),
    (["--trials", "0"], "--trials 0"),
    (["--seed", "-1"], "--seed -1"),
])
def test_the_report_command_refuses_bad_input_with_exit_2(tmp_path, capsys, arguments,
                                                           message):
    code = main(["report", str(EXAMPLE), "--out", str(tmp_path), *arguments])
    assert code == 2
    assert message in capsys.readouterr().err


def test_a_single_strategy_without_funding_reads_plainly(results):
    data = results.scenario.to_data()
    data["strategies"] = data["strategies"][:1]
    data["correlations"] = []
    del data["funding"]
    run = costmodel.simulate(costmodel.parse_scenario(data), trials=64, seed=1)
    page = report.report_html(run, {})
    sentence = verdict(run)
    assert page.count(sentence.split(";")[0]) == 1  # said once, not twice
    assert "The scenario sets no funding" in page


def test_chart_styles_become_presentation_attributes():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
           '<rect fill="blue" style="fill: rgb(1, 2, 3); fill-opacity: 0.5;"/>'
           '<text style="font-family: Inter, \'Segoe UI\', Arial; white-space: pre;">a  b</text>'
           '</svg>')
    root = ET.fromstring(report._presentation_attributes(svg))
    rect, text = list(root)
    assert rect.attrib == {"fill": "rgb(1, 2, 3)", "fill-opacity": "0.5"}  # style wins
    assert text.get("font-family") == "Inter, 'Segoe UI', Arial"
    assert text.get("style") == "white-space: pre" and text.text == "a  b"
