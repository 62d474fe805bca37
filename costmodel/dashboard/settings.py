"""The dashboard's Streamlit settings, in one place (no streamlit import here).

``costmodel app`` passes them on the command line; ``.streamlit/config.toml`` at the
repository's root holds the same values for ``make run`` and ``streamlit run app.py``
(a test keeps the two in step). Safe by default: bound to 127.0.0.1, XSRF protection on,
usage statistics off, uploads limited to 1 MB, no error details (tracebacks) shown.

The theme's named text colours (``blueTextColor`` …, used by markdown ``:blue[■]``) are
set to :data:`costmodel.charts.PALETTE`, so a strategy's swatch on a card has its colour in
every chart (see :func:`costmodel.dashboard.widgets.swatch`).
"""

from __future__ import annotations

from types import MappingProxyType

#: Security and privacy settings: (option, value) as ``streamlit run --<option> <value>``.
SERVER_OPTIONS = MappingProxyType({
    "server.address": "127.0.0.1",
    "server.enableXsrfProtection": "true",
    "server.maxUploadSize": "1",
    "browser.gatherUsageStats": "false",
    "client.showErrorDetails": "none",
    "client.toolbarMode": "minimal",
})

#: Streamlit's markdown colour used for the strategy at each position; the theme maps
#: each name to the chart palette's colour at the same position (a name used twice keeps
#: the colour of its first position).
MARKDOWN_COLOURS = ("blue", "orange", "green", "violet", "blue", "red", "gray", "yellow")

#: ``charts.PALETTE`` (copied: importing plotly is not needed to start the server; a test
#: checks they agree).
PALETTE = ("#0F4C81", "#E07B00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#6B6B6B",
           "#B59B00")


def _theme() -> dict[str, str]:
    theme = {"theme.base": "light", "theme.primaryColor": PALETTE[0],
             "theme.font": "sans-serif"}
    for name, colour in zip(MARKDOWN_COLOURS, PALETTE, strict=True):
        if name != "red":  # keep Streamlit's red for error messages
            theme.setdefault(f"theme.{name}TextColor", colour)  # markdown :name[...]
    return theme


THEME_OPTIONS = MappingProxyType(_theme())


def command_line() -> list[str]:
    """Every setting as ``streamlit run`` options.

    Examples
    --------
    >>> options = command_line()
    >>> options[options.index("--server.address") + 1]
    '127.0.0.1'
    """
    return [part for option, value in {**SERVER_OPTIONS, **THEME_OPTIONS}.items()
            for part in (f"--{option}", value)]
