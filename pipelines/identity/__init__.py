"""Identity: which contacts are the same person; `steps` is its entry point for every warehouse."""
