"""ai_model commands."""

from __future__ import annotations
