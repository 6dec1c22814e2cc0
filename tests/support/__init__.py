"""Helpers shared by the test suites (start the payout-system stand-in, ...)."""
