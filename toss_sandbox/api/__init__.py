"""Toss's core /v1 API: its routes and the pipeline every call goes through, faults included."""
