"""Entry script of the dashboard: ``streamlit run costmodel/dashboard/app.py``.

Streamlit runs this file as ``__main__``; importing it (a doctest run) does nothing.
"""

from costmodel.dashboard.main import main

if __name__ == "__main__":
    main()
