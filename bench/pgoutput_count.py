"""Counts the INSERT messages in a file pg_recvlogical wrote from a pgoutput (protocol 1) slot.

pg_recvlogical writes each message's bytes followed by a newline. The bytes are binary, so
newlines cannot split them: each message is walked by its layout (PostgreSQL's "Logical
Replication Message Formats") to find where the next one starts. Only the messages a stream
of inserts holds are known; any other raises, so a count is never a guess.
"""
import struct


def _cstring_end(data, at):
    return data.index(b"\0", at) + 1


def _tuple_end(data, at):
    (columns,) = struct.unpack_from("!h", data, at)
    at += 2
    for _ in range(columns):
        kind = data[at:at + 1]
        at += 1
        if kind == b"t":
            (length,) = struct.unpack_from("!i", data, at)
            at += 4 + length
        elif kind not in (b"n", b"u"):
            raise ValueError(f"tuple column kind {kind!r} at byte {at - 1}")
    return at


def _message_end(data, at):
    kind = data[at:at + 1]
    body = at + 1
    if kind == b"B":
        return body + 20
    if kind == b"C":
        return body + 25
    if kind == b"I":
        if data[body + 4:body + 5] != b"N":
            raise ValueError(f"insert without a new tuple at byte {at}")
        return _tuple_end(data, body + 5)
    if kind == b"R":
        end = _cstring_end(data, _cstring_end(data, body + 4)) + 1
        (columns,) = struct.unpack_from("!h", data, end)
        end += 2
        for _ in range(columns):
            end = _cstring_end(data, end + 1) + 8
        return end
    if kind == b"Y":
        return _cstring_end(data, _cstring_end(data, body + 4))
    if kind == b"O":
        return _cstring_end(data, body + 8)
    raise ValueError(f"message kind {kind!r} at byte {at}")


def count_inserts(path):
    """Returns (inserts, commits) in the file; raises ValueError if it does not parse."""
    with open(path, "rb") as f:
        data = f.read()
    inserts = commits = at = 0
    while at < len(data):
        kind = data[at:at + 1]
        at = _message_end(data, at)
        if data[at:at + 1] != b"\n":
            raise ValueError(f"no newline after the message of kind {kind!r} ending at byte {at}")
        at += 1
        inserts += kind == b"I"
        commits += kind == b"C"
    return inserts, commits
