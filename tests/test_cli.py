"""The command line: ``costmodel run | validate``.

``main([...])`` is called in-process (with ``capsys``) for most cases; one run and one
failing validation go through a real interpreter (``python -m costmodel.cli``) to check the
exit code and that no traceback reaches the user.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from costmodel import load_scenario, simulate
from costmodel.cli import main
from costmodel.engine.funding import fiscal_year_starts

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "customer_service_assistant.toml"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
STAT_KEYS = {"mean", "sd", "p5", "p10", "p50", "p90", "p95", "mean_se"}
STAT_METRICS = ("npv", "irr_annual", "roi", "payback_months", "discounted_payback_months",
                "peak_funding_need", "total_cost")
PROBABILITIES = ("prob_npv_positive", "prob_payback_within_horizon")
ERRORS = ("prob_npv_positive_se", "prob_payback_within_horizon_se")
COMPARISON_KEYS = {"a", "b", "mean_delta_npv", "se", "prob_a_beats_b", "prob_se", "p5", "p50",
                   "p95"}


def strict_json(text: str):
    """``json.loads`` that refuses NaN and Infinity (not JSON, though Python writes them)."""
    def reject(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=reject)


def cli(capsys, *args) -> tuple[int, str, str]:
    """Run ``main(args)``; return (exit code, stdout, stderr). argparse errors exit too."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


FUNDING_KEYS = {"business_npv", "interest_paid", "peak_cash_need", "min_cash",
                "months_negative_cash", "prob_budget_breach", "prob_budget_breach_se",
                "prob_breach_by_fiscal_year", "expected_breach"}
DEFERRAL_KEYS = {"deferral_months", "prob_deferred", "prob_deferred_se", "deferral_cost",
                 "deferral_cost_se"}


def check_shape(document, scenario):
    assert set(document) == {"scenario", "manifest", "strategies", "comparisons"}
    assert document["scenario"] == {"name": scenario.name, "hash": scenario.content_hash()}
    assert isinstance(document["manifest"], dict)
    strategies = document["strategies"]
    assert list(strategies) == [s.name for s in scenario.strategies]
    for name, summary in strategies.items():
        for key in STAT_METRICS:
            assert key in summary, (name, key)
        for key in PROBABILITIES:
            p = summary[key]
            assert isinstance(p, float) and 0.0 <= p <= 1.0, (name, key, p)
        for key in ERRORS:  # a standard error, or None for a one-trial run
            assert summary[key] is None or summary[key] >= 0.0, (name, key)
        assert isinstance(summary["npv_expected_shortfall"], float)
        assert summary["npv_expected_shortfall"] <= summary["npv"]["p5"] + 1e-6
        gated = next(s for s in scenario.strategies if s.name == name).gate is not None
        assert ("gate" in summary) == gated
        # the business view after financing: the keys, statistics and probabilities
        funding = summary["funding"]
        deferring = scenario.funding.budget is not None and (
            next(s for s in scenario.strategies if s.name == name).budget_policy
            or scenario.funding.budget.policy) == "defer"
        assert set(funding) == FUNDING_KEYS | (DEFERRAL_KEYS if deferring else set()), name
        if deferring:
            assert set(funding["deferral_months"]) == STAT_KEYS
            assert 0.0 <= funding["prob_deferred"] <= 1.0
            assert isinstance(funding["deferral_cost"], float)
        for key in ("business_npv", "interest_paid", "peak_cash_need", "min_cash",
                    "months_negative_cash"):
            assert set(funding[key]) == STAT_KEYS, (name, key)
        budget = scenario.funding.budget is not None
        assert (funding["prob_budget_breach"] is not None) == budget, name
        assert len(funding["prob_breach_by_fiscal_year"]) == (
            len(fiscal_year_starts(scenario.horizon_months,
                                   scenario.funding.budget.fiscal_year_start_month))
            if budget else 0)
        for p in [funding["prob_budget_breach"], *funding["prob_breach_by_fiscal_year"]]:
            assert p is None or 0.0 <= p <= 1.0, (name, p)
        # every other entry is a summary statistic with exactly the eight keys
        for key, stat in summary.items():
            if key in (*PROBABILITIES, *ERRORS, "npv_expected_shortfall", "gate", "funding"):
                continue
            assert isinstance(stat, dict) and set(stat) == STAT_KEYS, (name, key)
            for value in stat.values():
                assert value is None or (isinstance(value, float) and math.isfinite(value))
    names = [s.name for s in scenario.strategies]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    assert [(c["a"], c["b"]) for c in document["comparisons"]] == pairs
    for comparison in document["comparisons"]:
        assert set(comparison) == COMPARISON_KEYS
        assert 0.0 <= comparison["prob_a_beats_b"] <= 1.0
        assert comparison["p5"] <= comparison["p50"] <= comparison["p95"]


# --- run --json -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_run_json_prints_one_valid_object(capsys, path):
    code, out, err = cli(capsys, "run", path, "--trials", 500, "--seed", 3, "--json")
    assert code == 0, err
    document = strict_json(out)  # the whole output is exactly one JSON value
    scenario = load_scenario(path)
    check_shape(document, scenario)
    manifest = document["manifest"]
    sampler = scenario.simulation.sampler
    trials = 512 if sampler == "sobol" else 500  # Sobol rounds up to a power of two
    assert (manifest["trials"], manifest["seed"], manifest["sampler"]) == (trials, 3, sampler)
    assert manifest["scenario_hash"] == scenario.content_hash()
    # the same numbers as the library with the same trials and seed
    results = simulate(scenario, trials=500, seed=3)
    for strategy in results.strategies:
        summary = document["strategies"][strategy.name]
        assert summary["npv"]["mean"] == strategy.summary.npv.mean
        assert summary["npv"]["p50"] == strategy.summary.npv.p50
        assert summary["prob_npv_positive"] == strategy.summary.prob_npv_positive
        assert summary["total_cost"]["sd"] == strategy.summary.total_cost.sd


def test_run_json_is_reproducible(capsys):
    texts = []
    for _ in range(2):
        code, out, _ = cli(capsys, "run", EXAMPLE, "--trials", 300, "--seed", 7, "--json")
        assert code == 0
        texts.append(out)
    assert texts[0] == texts[1]
    code, other, _ = cli(capsys, "run", EXAMPLE, "--trials", 300, "--seed", 8, "--json")
    assert code == 0 and other != texts[0]


def test_run_json_writes_null_where_a_figure_is_undefined(capsys, tmp_path):
    # no benefits: the project never pays back (payback inf) and has no IRR (nan)
    path = tmp_path / "costs_only.toml"
    path.write_text(
        'name = "Costs only"\n'
        "horizon_months = 12\n"
        "[organisation]\nunits = 3\n"
        '[[costs]]\nname = "Licence"\ncategory = "licensing"\nkind = "monthly"\n'
        'basis = "per_unit"\namount = { pert = [10, 20, 40] }\n'
        '[[strategies]]\nname = "All"\nphases = [{ share = 1.0, go_live = 1 }]\n',
        encoding="utf-8",
    )
    code, out, err = cli(capsys, "run", path, "--trials", 50, "--seed", 1, "--json")
    assert code == 0, err
    summary = strict_json(out)["strategies"]["All"]
    assert set(summary["irr_annual"].values()) == {None}
    assert summary["payback_months"]["p50"] is None
    assert summary["prob_payback_within_horizon"] == 0.0
    assert summary["prob_npv_positive"] == 0.0


def test_run_json_in_a_real_process():
    done = subprocess.run(
        [sys.executable, "-m", "costmodel.cli", "run", str(EXAMPLE), "--trials", "500",
         "--seed", "3", "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    document = strict_json(done.stdout)
    scenario = load_scenario(EXAMPLE)
    check_shape(document, scenario)
    results = simulate(scenario, trials=500, seed=3)
    for strategy in results.strategies:
        assert document["strategies"][strategy.name]["npv"]["mean"] == strategy.summary.npv.mean


# --- other run modes ------------------------------------------------------------------------


def test_run_prints_a_readable_table(capsys):
    code, out, _ = cli(capsys, "run", EXAMPLE, "--trials", 200, "--seed", 1)
    assert code == 0
    scenario = load_scenario(EXAMPLE)
    assert scenario.name in out
    for strategy in scenario.strategies:
        assert strategy.name in out
    assert "NPV" in out and "P(NPV > 0)" in out
    assert "200 trials" in out and "seed 1" in out
    assert "Traceback" not in out


def test_point_run_text_and_json(capsys):
    scenario = load_scenario(EXAMPLE)
    code, out, _ = cli(capsys, "run", EXAMPLE, "--point")
    assert code == 0
    assert "NPV" in out and "Point estimate" in out
    for strategy in scenario.strategies:
        assert strategy.name in out
    code, out, _ = cli(capsys, "run", EXAMPLE, "--point", "--json")
    assert code == 0
    document = strict_json(out)
    check_shape(document, scenario)
    assert document["manifest"]["point"] is True
    assert document["manifest"]["trials"] == 1
    for summary in document["strategies"].values():
        npv = summary["npv"]
        # one trial: every statistic is the one value, with no spread
        assert npv["sd"] == 0.0
        assert npv["mean"] == npv["p5"] == npv["p50"] == npv["p95"]
        assert summary["prob_npv_positive"] in (0.0, 1.0)


def test_sobol_sampler(capsys):
    code, out, err = cli(capsys, "run", EXAMPLE, "--trials", 500, "--seed", 2, "--sampler",
                         "sobol", "--json")
    assert code == 0, err
    manifest = strict_json(out)["manifest"]
    assert manifest["sampler"] == "sobol"
    assert (manifest["trials"], manifest["trials_requested"]) == (512, 500)
    assert "rounded up" in manifest["note"]
    code, out, _ = cli(capsys, "run", EXAMPLE, "--trials", 500, "--seed", 2, "--sampler",
                       "sobol")
    assert code == 0
    assert "sampler sobol" in out and "rounded up" in out


# --- validate and bad input -----------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_validate_a_good_file(capsys, path):
    code, out, err = cli(capsys, "validate", path)
    assert code == 0
    assert "valid" in out
    assert err == ""


def bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Broken scenario files and a word their error message must contain."""
    good = EXAMPLE.read_text(encoding="utf-8")
    unknown = tmp_path / "unknown_key.toml"
    unknown.write_text(good.replace('unit_label = "agent"',
                                    'unit_label = "agent"\ncolour = "blue"'), encoding="utf-8")
    malformed = tmp_path / "malformed.toml"
    malformed.write_text('name = "unterminated\n[organisation\nunits = 3\n', encoding="utf-8")
    percent = tmp_path / "percent.toml"
    percent.write_text(good.replace("discount_rate = 0.10", "discount_rate = 10"),
                       encoding="utf-8")
    return {
        "unknown key": (unknown, "colour"),
        "malformed TOML": (malformed, "TOML"),
        "percentage": (percent, "discount_rate"),
        "missing file": (tmp_path / "no_such_file.toml", "no such file"),
    }


@pytest.mark.parametrize("case", ["unknown key", "malformed TOML", "percentage",
                                  "missing file"])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_files_exit_2_with_a_message(capsys, tmp_path, case, command):
    path, word = bad_files(tmp_path)[case]
    code, out, err = cli(capsys, command, path)
    assert code == 2
    assert out == ""
    assert word in err
    assert str(path.name) in err
    assert "Traceback" not in err


@pytest.mark.parametrize("trials", [0, -5, 2_000_000])
def test_trial_count_out_of_range_exits_2(capsys, trials):
    code, out, err = cli(capsys, "run", EXAMPLE, "--trials", trials)
    assert code == 2
    assert out == ""
    assert "--trials" in err and "Traceback" not in err


def test_bad_validate_in_a_real_process(tmp_path):
    path, word = bad_files(tmp_path)["unknown key"]
    done = subprocess.run([sys.executable, "-m", "costmodel.cli", "validate", str(path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    assert word in done.stderr
    assert "Traceback" not in done.stderr
