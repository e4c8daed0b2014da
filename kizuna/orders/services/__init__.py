"""The orders app's rules and writes: orders, refunds, and the pricing of refunds."""
