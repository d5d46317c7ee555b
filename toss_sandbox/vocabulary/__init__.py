"""Toss's terms as the sandbox speaks them: statuses, methods, banks, key kinds, identifiers and error codes."""
