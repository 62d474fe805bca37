"""Start the costmodel dashboard: ``streamlit run app.py`` (or ``make run``).

Only starts it; the dashboard lives in ``costmodel/dashboard/``.
"""

from costmodel.dashboard.main import main

if __name__ == "__main__":
    main()
