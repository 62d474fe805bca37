"""The Sensitivity page: charts and tables from costmodel.sensitivity, the controls move
them, bad choices give a message instead of a traceback (AppTest, small designs)."""

from __future__ import annotations

import pytest
import streamlit as st

from costmodel.dashboard import compute
from costmodel.dashboard.testing import new_session
from costmodel.dashboard.views import sensitivity as page


@pytest.fixture(autouse=True)
def _empty_caches():
    st.cache_data.clear()
    compute.clear()
    compute._sensitivity.clear()
    yield


def _open(**settings):
    app = new_session(trials=512)
    app.session_state[page.SAMPLE_SIZE] = 256
    for key, value in settings.items():
        app.session_state[key] = value
    app.run()
    app.switch_page("views/sensitivity.py").run()
    assert not app.exception
    return app


def _charts(app) -> list[str]:
    import json

    return [json.loads(c.proto.spec)["layout"]["title"]["text"]
            for c in app.get("plotly_chart")]


def test_page_shows_the_four_views_for_the_chosen_strategy():
    app = _open()
    titles = _charts(app)
    assert any(t.startswith("<b>What moves NPV most: All at once") for t in titles)
    assert any("adoption challenges explains" in t for t in titles)
    assert any("rank correlation" in t.lower() or "move with" in t for t in titles)
    # the tornado table lists the inputs, widest swing first
    swings = app.dataframe[0].value["swing"].tolist()
    assert swings == sorted(swings, reverse=True) and swings[0] > 0
    app.selectbox(key=page.STRATEGY).select("Pilot, then two waves").run()
    assert not app.exception
    assert any(t.startswith("<b>What moves NPV most: Pilot, then two waves")
               for t in _charts(app))


def test_a_metric_sobol_cannot_explain_gives_a_message_not_a_traceback():
    app = _open(**{page.METRIC: "Payback (months)"})
    # payback is infinite in some trials of the design: the page says so and stops
    assert app.warning and "not finite" in app.warning[0].value
    app.toggle(key=page.INDICES).set_value(False).run()
    assert not app.exception and not app.warning
    assert any("What moves payback most" in t for t in _charts(app))
