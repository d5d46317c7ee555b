"""A payment's life after the window: confirming, canceling, refunds, virtual-account deposits, expiry and the status change they share."""
