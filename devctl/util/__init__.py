"""Small helpers with no devctl domain knowledge, one job per module.

Each module here is stdlib-only and cheap to import: `devctl status` loads some of them.
"""
