"""``vecreward atlas``: which aggregation scheme wins at which reward structure (a grid of family settings)."""
