"""The planner's engine: coverage grid, per-unit tables, gaps, site suggestions, plans."""
