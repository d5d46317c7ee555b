"""Toss's terms: payment statuses, methods, banks, key kinds, identifiers, error codes."""
