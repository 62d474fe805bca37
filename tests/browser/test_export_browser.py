"""The Export page in headless Chromium: clicking a download button gives a valid file
(the chart as a PNG at print size, drawn by the server's own headless Chromium)."""

from __future__ import annotations

import struct

import pytest

from costmodel.dashboard.testing import CHROMIUM, CHROMIUM_ARGS, IDLE, Server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs {CHROMIUM} (.ci/run installs it)"),
]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with Server(tmp_path_factory.mktemp("streamlit") / "server.log") as server, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=list(CHROMIUM_ARGS))
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 1600},
                                   accept_downloads=True)
            tab.goto(server.url, wait_until="domcontentloaded")
            tab.wait_for_selector(IDLE, timeout=60_000)
            tab.get_by_role("link", name="Export").click()
            tab.wait_for_selector(IDLE, timeout=60_000)
            tab.get_by_role("button", name="PNG", exact=True).wait_for(timeout=60_000)
            yield tab
        finally:
            browser.close()


def _download(page, name: str, tmp_path):
    with page.expect_download(timeout=90_000) as started:
        page.get_by_role("button", name=name, exact=True).click()
    download = started.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return path


def test_the_png_button_downloads_a_print_size_png(page, tmp_path):
    path = _download(page, "PNG", tmp_path)
    data = path.read_bytes()
    assert path.suffix == ".png" and data[:8] == b"\x89PNG\r\n\x1a\n"
    width, _ = struct.unpack(">II", data[16:24])  # IHDR: width and height, big-endian
    assert width == 2_000  # 1,000 px layout at scale 2
