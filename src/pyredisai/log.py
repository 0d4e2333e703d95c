"""Redis-style log lines: `pid:M 25 Nov 2026 07:34:51.123 * message`.

Levels and marks are Redis's: debug `.`, verbose `-`, notice `*`, warning `#`. The level is
read from the config on every call, so CONFIG SET loglevel applies at once."""

from __future__ import annotations

import os
import sys
import time
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Config

_LEVELS = {"debug": 0, "verbose": 1, "notice": 2, "warning": 3, "nothing": 4}
_MARKS = ".-*#"


class Logger:
    def __init__(self, config: Config) -> None:
        self.config = config
        path = config["logfile"]
        self.stream: IO[str] = open(path, "a", encoding="utf-8") if path else sys.stdout  # noqa: SIM115

    def enabled(self, level: str) -> bool:
        """Guard for hot paths: build the message only when it would be written."""
        return _LEVELS[level] >= _LEVELS[self.config["loglevel"]]

    def _write(self, level: int, message: str) -> None:
        if level < _LEVELS[self.config["loglevel"]]:
            return
        now = time.time()
        millis = int(now % 1 * 1000)
        stamp = f"{time.strftime('%d %b %Y %H:%M:%S', time.localtime(now))}.{millis:03d}"
        self.stream.write(f"{os.getpid()}:M {stamp} {_MARKS[level]} {message}\n")
        self.stream.flush()

    def debug(self, message: str) -> None:
        self._write(0, message)

    def verbose(self, message: str) -> None:
        self._write(1, message)

    def notice(self, message: str) -> None:
        self._write(2, message)

    def warning(self, message: str) -> None:
        self._write(3, message)
