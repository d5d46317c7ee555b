"""The sandbox's own database: engine, transactions, tables, stored payments, request log."""
