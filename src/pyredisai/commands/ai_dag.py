"""ai_dag commands."""

from __future__ import annotations
