"""One module per Staff Portal section; each defines `app` (see _spec.py)."""
