"""Metrics, JSON logs and request ids."""
