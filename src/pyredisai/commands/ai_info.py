"""ai_info commands."""

from __future__ import annotations
