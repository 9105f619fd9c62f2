"""Renderers: each turns the one result model into one output. None of them re-runs a check."""
