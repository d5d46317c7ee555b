"""The sandbox's /admin controls: faults, the clock, webhooks, bank events, requests, reset."""
