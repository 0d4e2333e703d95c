"""ai_script commands."""

from __future__ import annotations
