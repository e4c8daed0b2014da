"""Reads of the feedback app, one module per noun. Every query is scoped with `for_workspace`."""
