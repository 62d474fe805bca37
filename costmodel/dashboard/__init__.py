"""The Streamlit dashboard: thin views over the public API and :mod:`costmodel.charts`.

Start it with ``costmodel app`` (or ``make run``). The entry script is
``costmodel/dashboard/app.py``; each page is a module in ``views/``. Session data lives
behind :mod:`costmodel.dashboard.state`; nothing here computes model figures (those come
from :mod:`costmodel.verdict` and :mod:`costmodel.charts`). Importing ``costmodel`` does
not import this package, nor streamlit.
"""
