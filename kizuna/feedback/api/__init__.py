"""HTTP handlers of the feedback app, one module per noun; kizuna.api mounts their routers."""
