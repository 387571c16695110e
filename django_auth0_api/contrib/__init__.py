"""Optional integrations, each importable only when its library is installed."""
