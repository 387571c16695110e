"""Optional integrations, each imported only by a project that asks for it."""
