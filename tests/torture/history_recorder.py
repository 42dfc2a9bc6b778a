"""What the Python drivers of the torture suite share: the history they record and the payloads
they append, both in the format of tests/torture/history.h, which history_check reads."""
import json
import threading

# Filler byte k of a payload is 'a' + (base + k) mod 26 with base = 7 * producer + 13 * seq +
# 31 * index (history.h): one rotated alphabet per base, sliced, not built byte by byte.
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
_ROTATED = {}


def payload(producer, seq, index, count, size):
    """A payload of `size` bytes (or just its prefix, if that is longer) naming its batch."""
    head = f"p{producer}s{seq}i{index}n{count}:"
    base = (7 * producer + 13 * seq + 31 * index) % 26
    filler = max(0, size - len(head))
    rotated = _ROTATED.get(base, "")
    if len(rotated) < filler:
        rotated = (_ALPHABET[base:] + _ALPHABET[:base]) * (filler // 26 + 1)
        _ROTATED[base] = rotated
    return head + rotated[:filler]


class Recorder:
    """A run's history: one logical clock, one JSON line per record, from any thread."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.clock = 0
        self.out = open(path, "w")

    def tick(self):
        with self.lock:
            self.clock += 1
            return self.clock

    def record(self, **fields):
        self.write(json.dumps(fields) + "\n")

    def write(self, lines):
        """Records already formatted as JSON lines (cheaper when there are millions)."""
        with self.lock:
            self.out.write(lines)
            self.out.flush()

    def close(self):
        self.out.close()
