"""Deterministic, deliberately messy contact data for the two simulated CRMs."""
