"""Simulated domains with known truth, for offline and theory-checkable experiments."""
