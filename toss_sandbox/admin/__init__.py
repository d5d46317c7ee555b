"""The sandbox's /admin controls, with the faults and hangs a test switches on through them."""
