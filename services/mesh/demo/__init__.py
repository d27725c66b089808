"""`make demo`: the whole journey against a running mesh (see journey.py)."""
