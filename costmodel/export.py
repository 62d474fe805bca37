"""Export charts as print-ready files: PNG, SVG and PDF (drawn by plotly.js in the system's
Chromium through kaleido) and a standalone HTML file that opens offline.

Static images need a browser. One headless Chromium is started on first use and kept for
the process (:func:`start`), so several images in one go, or a second pack from the
dashboard, reuse it; :func:`stop` ends it (it also ends with the process). This is what
``kaleido.start_sync_server`` does, with two differences that matter to a user: a browser
that fails to start, or an image that takes too long, is reported as a
:class:`~costmodel.errors.CostModelError` instead of a call that never returns, and calls
from several threads (dashboard sessions) are serialised. MathJax is off and plotly.js is
the copy inside the ``plotly`` package, so an export makes no network request.

A missing Chromium is a :class:`~costmodel.errors.CostModelError` whose message says how
to install it (``apt-get install chromium``), never a traceback.

Sizes: ``width`` and ``height`` are the figure's layout size [CSS px]; ``scale`` multiplies
them for PNG (``scale=2`` on a 1,000 px wide chart gives 2,000 px: print resolution at
about 17 cm wide and 300 dpi). SVG and PDF are vector formats; their size is the layout's.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CostModelError
from .store import write_bytes_atomic, write_text_atomic

if TYPE_CHECKING:  # figures come from costmodel.charts, the one module that builds them
    import plotly.graph_objects as go

__all__ = [
    "FORMATS",
    "IMAGE_FORMATS",
    "PRINT_SCALE",
    "WIDTH",
    "browser_path",
    "export_figures",
    "figure_html",
    "figure_image",
    "start",
    "start_in_background",
    "stop",
]

#: Every export format, in the order the dashboard offers them.
FORMATS = ("png", "svg", "pdf", "html")
#: The formats drawn in the browser.
IMAGE_FORMATS = ("png", "svg", "pdf")
#: PNG pixels per layout pixel (2: print resolution).
PRINT_SCALE = 2
#: Layout width of exported charts [px] (their height is the figure's own).
WIDTH = 1000
#: Seconds allowed for the browser to start, and for one image.
START_TIMEOUT = 60.0
IMAGE_TIMEOUT = 90.0

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = ("install Chromium with `apt-get install chromium` (Debian, Ubuntu) or your "
                "system's package manager, or point BROWSER_PATH at a Chrome or Chromium "
                "executable")


def browser_path() -> str:
    """The Chromium (or Chrome) executable to draw images with: ``BROWSER_PATH`` if set,
    else the first of ``chromium``, ``chromium-browser``, ``google-chrome`` on the
    ``PATH``. Raises :class:`CostModelError` saying how to install one when none is
    found."""
    given = os.environ.get("BROWSER_PATH")
    if given:
        if os.path.isfile(given) and os.access(given, os.X_OK):
            return given
        raise CostModelError(f"BROWSER_PATH={given!r} is not an executable file — "
                             f"{INSTALL_HINT}")
    for name in _BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise CostModelError("exporting PNG, SVG or PDF needs Chromium, and none was found — "
                         f"{INSTALL_HINT}; the CSV files need no browser")


#: Images drawn in a tab before it is reloaded (kaleido reloads after every image, which
#: costs ~0.2 s — most of an image's time; the page is the same, so every few dozen do).
RELOAD_EVERY = 40


def _renderer_class():
    """kaleido's renderer, reloading its tab every :data:`RELOAD_EVERY` images instead of
    after each (the images are the same, up to the random ids plotly gives clip paths;
    tested). Falls back to kaleido's own when its tab hand-back hook is not there."""
    import kaleido

    if not hasattr(kaleido.Kaleido, "_return_kaleido_tab"):  # pragma: no cover
        return kaleido.Kaleido

    class Renderer(kaleido.Kaleido):
        _drawn = 0

        async def _return_kaleido_tab(self, tab) -> None:
            self._drawn += 1
            if self._drawn % RELOAD_EVERY == 0:
                await super()._return_kaleido_tab(tab)
            else:
                await self.tabs_ready.put(tab)

    return Renderer


class _Browser:
    """One kaleido renderer on an event loop in a daemon thread."""

    def __init__(self, path: str):
        self.path = path
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="costmodel-kaleido")
        self._thread.start()
        self._kaleido = _renderer_class()(n=1, timeout=IMAGE_TIMEOUT, mathjax=False,
                                          path=path)
        try:
            self._call(self._kaleido.open(), START_TIMEOUT)
        except BaseException:
            self._loop.call_soon_threadsafe(self._loop.stop)
            raise

    def _call(self, coroutine, timeout: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise CostModelError(f"Chromium at {self.path} did not answer within {timeout:g} s"
                                 f" — check that it starts (`{self.path} --headless "
                                 "--version`), or " + INSTALL_HINT) from None

    def image(self, figure: go.Figure, options: dict[str, Any]) -> bytes:
        return self._call(self._kaleido.calc_fig(figure, opts=options), IMAGE_TIMEOUT)

    def close(self) -> None:
        try:
            self._call(self._kaleido.close(), START_TIMEOUT)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)


_lock = threading.Lock()
_browser: _Browser | None = None


def start() -> None:
    """Start the headless browser if it is not running (the first image does it too).
    Raises :class:`CostModelError` when no Chromium is found or it does not start."""
    global _browser
    with _lock:
        if _browser is None:
            path = browser_path()
            try:
                _browser = _Browser(path)
                # end the browser before the interpreter removes its profile folder
                atexit.register(stop)
            except CostModelError:
                raise
            except Exception as exc:  # choreographer's start-up errors
                raise CostModelError(f"Chromium at {path} did not start ({type(exc).__name__})"
                                     f" — {INSTALL_HINT}") from None


def start_in_background() -> threading.Thread:
    """Start the browser in a daemon thread and return at once, so Chromium starts while
    the caller runs the model (the first image then finds it running). A failure is left
    for the first image to report (it calls :func:`start`, which says what is wrong)."""

    def run() -> None:
        try:
            start()
        except CostModelError:
            pass

    thread = threading.Thread(target=run, daemon=True, name="costmodel-browser-start")
    thread.start()
    return thread


def stop() -> None:
    """End the headless browser, if running."""
    global _browser
    with _lock:
        if _browser is not None:
            browser, _browser = _browser, None
            browser.close()


def running() -> bool:
    """Whether the headless browser is running (warm)."""
    return _browser is not None


def figure_image(figure: go.Figure, fmt: str, *, width: int = WIDTH,
                 height: int | None = None, scale: float = PRINT_SCALE) -> bytes:
    """The figure as ``fmt`` (``"png"``, ``"svg"`` or ``"pdf"``) bytes, drawn at
    ``width`` × ``height`` layout pixels (``height``: the figure's own, else 450); PNG
    at ``scale`` times that. Starts the browser on first use."""
    if fmt not in IMAGE_FORMATS:
        raise CostModelError(f"format {fmt!r}: images are one of {', '.join(IMAGE_FORMATS)}")
    if not scale > 0:
        raise CostModelError(f"scale {scale!r}: give a number above 0 (2 for print)")
    height = height or figure.layout.height or 450
    options = {"format": fmt, "width": int(width), "height": int(height),
               "scale": scale if fmt == "png" else 1}
    start()
    with _lock:
        if _browser is None:  # stopped by another thread in between
            raise CostModelError("the export browser was stopped; try again")
        try:
            return _browser.image(figure, options)
        except CostModelError:
            raise
        except Exception as exc:  # kaleido's render errors carry the browser's message
            raise CostModelError(f"Chromium could not draw the chart as {fmt}: {exc}") from None


def figure_html(figure: go.Figure) -> str:
    """The figure as a standalone HTML page: plotly.js inside, no network request (no
    CDN, no MathJax), interactive in any browser, offline."""
    return figure.to_html(include_plotlyjs=True, include_mathjax=False, full_html=True,
                          config={"displaylogo": False, "responsive": True,
                                  "toImageButtonOptions": {"scale": PRINT_SCALE}})


def export_figures(figures: Mapping[str, go.Figure], directory: str | Path,
                   formats: Iterable[str] = FORMATS, *, width: int = WIDTH,
                   scale: float = PRINT_SCALE) -> list[Path]:
    """Write each figure as ``<directory>/<name>.<format>`` for every format (atomic
    writes), reusing one browser for all images. Returns the paths written."""
    formats = list(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise CostModelError(f"format {unknown[0]!r}: choose from {', '.join(FORMATS)}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in figures.items():
        for fmt in formats:
            path = directory / f"{name}.{fmt}"
            if fmt == "html":
                write_text_atomic(path, figure_html(figure))
            else:
                write_bytes_atomic(path, figure_image(figure, fmt, width=width, scale=scale))
            written.append(path)
    return written

