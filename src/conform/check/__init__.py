"""Stage 2: the rules compiled to queries over the canonical tables, and the engine that runs them."""
