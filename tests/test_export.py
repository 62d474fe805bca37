"""Chart export: PNG at print resolution, SVG, PDF and a standalone HTML page; one
browser for several images; a missing Chromium is a message, not a traceback."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import costmodel
from costmodel import charts, export
from costmodel.cli import main
from costmodel.errors import CostModelError

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "scenarios" / "customer_service_assistant.toml"
HAS_BROWSER = Path("/usr/bin/chromium").exists()
needs_browser = pytest.mark.skipif(not HAS_BROWSER, reason="needs /usr/bin/chromium "
                                                           "(.ci/run installs it)")
#: An address a file would fetch: a src/href/url() with a scheme or a protocol-relative //.
EXTERNAL = re.compile(r"""(?:\bsrc|\bhref)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?"""
                      r"""(?:https?:)?//|@import""", re.IGNORECASE)


@pytest.fixture(scope="module")
def results():
    return costmodel.simulate(costmodel.load_scenario(EXAMPLE), trials=512, seed=3)


def _png_size(data: bytes) -> tuple[int, int]:
    # PNG: 8-byte signature, then the IHDR chunk (length, type, width, height: big-endian)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@needs_browser
def test_png_has_the_signature_and_the_asked_size_at_print_scale(results):
    figure = charts.payback_curve(results)
    data = export.figure_image(figure, "png", width=600, height=300, scale=2)
    assert _png_size(data) == (1200, 600)
    data = export.figure_image(figure, "png", width=500, scale=3)  # the figure's height
    assert _png_size(data) == (1500, 3 * figure.layout.height)


@needs_browser
def test_svg_parses_and_pdf_is_a_pdf(results):
    figure = charts.present_value_summary(results)
    root = ET.fromstring(export.figure_image(figure, "svg", width=700))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert float(root.get("width")) == 700
    texts = "".join(root.itertext())
    assert results.scenario.name in texts and "PV of costs" in texts
    pdf = export.figure_image(figure, "pdf")
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-64:]


def test_html_is_standalone_and_offline(results, tmp_path):
    page = export.figure_html(charts.risk_return(results))
    assert page.lstrip().lower().startswith("<html") or "<!doctype" in page[:50].lower()
    assert "Plotly.newPlot" in page and len(page) > 3_000_000  # plotly.js is inside
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page, flags=re.IGNORECASE)
    assert tags and not [t for t in tags if EXTERNAL.search(t)]


@needs_browser
def test_export_figures_writes_every_format_with_one_browser(results, tmp_path):
    figures = {"a": charts.payback_curve(results), "b": charts.risk_return(results)}
    export.start()
    browser = export._browser
    written = export.export_figures(figures, tmp_path / "out", ["png", "svg", "html"])
    assert [p.name for p in written] == ["a.png", "a.svg", "a.html", "b.png", "b.svg",
                                         "b.html"]
    assert export._browser is browser  # the same browser drew all the images
    assert not list((tmp_path / "out").glob(".*"))  # no temporary file left behind
    with pytest.raises(CostModelError, match="choose from"):
        export.export_figures(figures, tmp_path, ["gif"])


def test_a_missing_browser_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing in it
    with pytest.raises(CostModelError, match="apt-get install chromium"):
        export.browser_path()
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "chrome"))
    with pytest.raises(CostModelError, match="BROWSER_PATH"):
        export.browser_path()


def test_the_report_command_without_chromium_exits_2_with_the_fix(monkeypatch, tmp_path,
                                                                 capsys):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(export, "_browser", None)  # as in a fresh process
    code = main(["report", str(EXAMPLE), "--out", str(tmp_path / "pack"), "--trials", "64"])
    assert code == 2
    err = capsys.readouterr().err
    assert "apt-get install chromium" in err and "Traceback" not in err


@needs_browser
def test_a_tab_reused_without_reload_draws_the_same_image(results):
    # the renderer skips kaleido's page reload between images: a chart drawn after
    # another must come out as when drawn first — the same elements, attributes and
    # text, up to plotly's random ids (tracec17706, clip752413xyplot, defs-47b0d3)
    def elements(data: bytes) -> list:
        text = data.decode("utf-8")
        for uid in set(re.findall(r"(?:trace|clip|legend|defs-|topdefs-)([0-9a-f]{6})",
                                  text)):
            text = text.replace(uid, "ID")
        return [(e.tag, sorted(e.attrib.items()), e.text) for e in ET.fromstring(text).iter()]

    first = charts.budget_and_cash(results)
    before = elements(export.figure_image(first, "svg"))
    export.figure_image(charts.cash_fan(results), "svg")
    assert elements(export.figure_image(first, "svg")) == before
