"""ai_tensor commands."""

from __future__ import annotations
