"""The shared kernel has no API shapes of its own."""
