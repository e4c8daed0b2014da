"""Request and response shapes of the feedback API, one module per noun."""
