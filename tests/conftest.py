"""Shared fixtures: the fake tenant comes from the package's own pytest plugin."""
