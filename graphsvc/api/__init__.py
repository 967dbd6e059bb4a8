"""The HTTP layer: routes translate HTTP to repository calls and back, nothing more."""
