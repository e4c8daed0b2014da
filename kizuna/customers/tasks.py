"""Background work of the customers app (imports run here when started from the API)."""
