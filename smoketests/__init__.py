"""End-to-end runs of the installed devctl CLI in temp repos (see conftest.py)."""
