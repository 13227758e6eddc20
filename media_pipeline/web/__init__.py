"""The browser page: its built bundle ships in ``static/`` (``make web`` rebuilds it)."""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
"""What ``/static`` serves; ``index.html`` there is the page at ``/``."""
INDEX_HTML = STATIC_DIR / "index.html"
