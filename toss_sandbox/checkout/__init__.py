"""The hosted payment window, its pages and receipt, and the browser SDK that opens it."""
