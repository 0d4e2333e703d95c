"""Device strings, parsed the two ways RedisAI does (reference section 2.4).

AI.MODELSTORE validates the string itself (`is_valid_store_device`); the backends then
parse whatever reached them (`parse_device`, RedisAI's `parseDeviceStr`): AI.MODELSET
and the script commands do not validate, so `cpuXYZ` is a CPU and `GPU:abc` is GPU 0.
The string itself is stored and shown as given; run queues are named by `queue_name`.
"""

from __future__ import annotations

from dataclasses import dataclass

_LLONG_MAX = 2**63 - 1
_LLONG_MIN = -(2**63)


@dataclass(frozen=True, slots=True)
class Device:
    """Where a model runs. `index` -1 means the framework's default device of that kind."""

    gpu: bool
    index: int = -1


CPU = Device(False)


def is_valid_store_device(device: str | bytes) -> bool:
    """AI.MODELSTORE's check: CPU or GPU, or CPU:/GPU: plus ASCII digits, under 10 chars
    (so `GPU:` and `gpu:12345` pass; `CPU:123456`, `CPU::`, `CPU:1.8` do not)."""
    text = device.decode("latin-1") if isinstance(device, bytes) else device
    if len(text) >= 10:
        return False
    head = text[:4].upper()
    if head in ("CPU", "GPU"):
        return True
    if head not in ("CPU:", "GPU:"):
        return False
    rest = text[4:]
    return all("0" <= c <= "9" for c in rest)


def parse_device(device: str) -> Device | None:
    """RedisAI's `parseDeviceStr`: None when the backend must answer 'unsupported device'.

    Any string starting with CPU (case-insensitive) is the CPU; exactly GPU is the default
    GPU; GPU:<n> is GPU n, with n read like C's strtoll(…, 0) (hex/octal prefixes, stops
    at the first bad character, 0 when there are no digits)."""
    head = device[:4].upper()
    if head[:3] == "CPU":
        return CPU
    if head == "GPU" and len(device) == 3:
        return Device(True, -1)
    if head == "GPU:":
        return Device(True, _strtoll(device[4:]))
    return None


def queue_name(device: str) -> str:
    """Run queues are per upper-cased device string: `cpu` and `CPU` share one."""
    return device.upper()


def _strtoll(text: str) -> int:
    """C strtoll with base 0 over the longest valid prefix; no digits gives 0."""
    i, n = 0, len(text)
    while i < n and text[i] in " \t\n\v\f\r":
        i += 1
    sign = 1
    if i < n and text[i] in "+-":
        sign = -1 if text[i] == "-" else 1
        i += 1
    base = 10
    if text[i : i + 2].lower() == "0x" and i + 2 < n and text[i + 2].lower() in _HEX:
        base, i = 16, i + 2
    elif text[i : i + 1] == "0":
        base = 8
    digits = _HEX[:base]
    value = 0
    while i < n and text[i].lower() in digits:
        value = value * base + int(text[i], 16)
        i += 1
    value *= sign
    return max(_LLONG_MIN, min(_LLONG_MAX, value))


_HEX = "0123456789abcdef"
