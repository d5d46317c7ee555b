"""The sandbox's own database: engine and transactions, its tables, stored payments and the request log."""
