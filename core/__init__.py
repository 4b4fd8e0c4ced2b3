"""Common Ground core: every action of the app as a plain library call (and a CLI).

This package never imports streamlit; tests/test_meta.py enforces it.
"""
