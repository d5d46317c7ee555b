"""Toss's core /v1 API: its routes and what every call goes through (authentication, faults, idempotency)."""
