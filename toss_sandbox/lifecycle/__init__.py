"""A payment's life: confirm, cancel, refund, deposit, expiry, each status change, its webhook."""
