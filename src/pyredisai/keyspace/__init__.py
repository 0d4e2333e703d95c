"""Databases, expiry and the value types. Knows no RESP and no argv."""
