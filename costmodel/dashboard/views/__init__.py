"""The dashboard's pages (views); Streamlit runs each file as a script (``__main__``)."""
