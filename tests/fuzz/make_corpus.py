#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/TARGET/) from the
format-spec test vectors and a few hand-made inputs. Each target's input layout is described
at the top of its source file; the first byte is usually a set of flags. Crash inputs found
by scripts/fuzz are added to these directories by hand, named crash-*, and kept: this script
rewrites only the seed-* files."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "..", "format-spec", "vectors")
SEGMENTS = ["valid/00000000000000000000.seg", "valid/00000000000000000010.seg",
            "torn-tail/00000000000000000000.seg", "corrupt-middle/00000000000000000000.seg"]


def vector(name):
    with open(os.path.join(VECTORS, name), "rb") as f:
        return f.read()


def frames(segment):
    """The frames of a segment, by their length words."""
    out, pos = [], 64
    while pos + 64 <= len(segment):
        length = struct.unpack_from("<I", segment, pos)[0]
        aligned = (length + 7) & ~7
        if length < 64 or pos + aligned > len(segment):
            break
        out.append(segment[pos:pos + aligned])
        pos += aligned
    return out


def write(target, seeds):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.startswith("seed-"):
            os.remove(os.path.join(folder, name))
    for i, data in enumerate(seeds):
        with open(os.path.join(folder, "seed-%03d" % i), "wb") as f:
            f.write(data)


def main():
    segments = [vector(s) for s in SEGMENTS]
    all_frames = [fr for s in segments for fr in frames(s)]
    # One frame of each size class is enough: the fuzzer combines them.
    picked = {len(fr) // 256: fr for fr in all_frames}.values()
    write("frame", [bytes([flags]) + fr for fr in picked for flags in (0, 1)])
    write("segment_scan", [bytes([flags]) + s for s in segments for flags in (0, 1, 3, 4)])
    write("recovery", [bytes([flags]) + s for s in segments for flags in (0x00, 0x20, 0x30, 0x31, 0x70)])
    # Flag 8: zeros are the segment's real index; 4 seals a damaged header.
    write("index", [bytes([flags, a, b]) + bytes(64 + 16 * n)
                    for flags, a, b, n in ((8, 0, 0, 40), (9, 5, 77, 40), (10, 1, 2, 40), (11, 3, 9, 40),
                                           (12, 7, 8, 4), (4, 0, 0, 4), (0, 0, 0, 0))])
    archive = vector("archive/events.archive")
    write("archive", [bytes([0]) + archive, bytes([3]) + archive, bytes([4]) + archive,
                      bytes([3]) + archive[:96] + archive[-16:]])
    write("envelope", [
        b'{"payload":"hello"}\n',
        b'{"key":"user-1","headers":{"type":"created","trace":"\\u0000\\u0001"},"payload":"{\\"a\\":1}"}\n',
        b'{"key":"","payload":""}\n\n  \n{"key":null,"payload":null}',
        b'{"headers":["a","1","a","2"],"payload":"dup"}\n',
        b'{"key":"/w==","key_encoding":"base64","headers":{"AA==":"/w=="},"headers_encoding":"base64",'
        b'"payload":"AAECAw==","payload_encoding":"base64"}\n',
        b'{"offset":7,"timestamp":"2026-11-29T21:33:54.123456789Z","key":"k","headers":{"a":"1"},"payload":"text"}\n',
        b'{"topic":"t","partition":0,"offset":3,"tstype":"create","ts":1,"broker":1,"key":"k","payload":{"n":[1,2.5e3,true,null]}}\n',
        b'\t{"payload":"\\ud83d\\ude00 \\u00e9"}\r\n',
    ])
    texts = [b"2026-11-29T10:00:00Z", b"2026-11-29t10:00:00.25+02:00", b"2026-11-29 23:59:60.999999999z",
             b"2026-11-29", b"1764410400", b"1764410400000", b"-30s", b"-500ms", b"-2h", b"-1d", b"now",
             b"250ms", b"2s", b"5m", b"1h", b"7d", b"4096", b"64K", b"16MiB", b"1gb", b"beginning", b"end",
             b"-5", b"42", b"18446744073709551615", b"-0"]
    infos = [struct.pack("<QQ", 0, 0), struct.pack("<QQ", 10, 100), struct.pack("<QQ", 2**64 - 2, 2**64 - 1)]
    write("cli_args", [infos[i % len(infos)] + t for i, t in enumerate(texts)])

    write("pgoutput", pgoutput_seeds())


def pgoutput_seeds():
    """CopyData payloads (XLogData around pgoutput messages, keepalives), each after its
    big-endian uint16 length, as pgoutput_fuzz.cc reads them."""
    def framed(*payloads):
        return b"".join(struct.pack(">H", len(p)) + p for p in payloads)

    def xlog(message, lsn=0x1000):
        return b"w" + struct.pack(">QQq", lsn, lsn + 0x100, 1) + message

    def text(value):
        return b"t" + struct.pack(">i", len(value)) + value

    relation = (b"R" + struct.pack(">I", 16385) + b"public\0items\0d" + struct.pack(">h", 2)
                + b"\x01id\0" + struct.pack(">Ii", 23, -1) + b"\x00name\0" + struct.pack(">Ii", 25, -1))
    begin = b"B" + struct.pack(">QqI", 0x2000, 5, 731)
    insert = b"I" + struct.pack(">I", 16385) + b"N" + struct.pack(">h", 2) + text(b"1") + b"n"
    update = (b"U" + struct.pack(">I", 16385) + b"K" + struct.pack(">h", 2) + text(b"1") + b"n"
              + b"N" + struct.pack(">h", 2) + text(b"2") + b"u")
    delete = b"D" + struct.pack(">I", 16385) + b"O" + struct.pack(">h", 2) + text(b"2") + text(b"x")
    truncate = b"T" + struct.pack(">iBI", 1, 2, 16385)
    commit = b"C" + struct.pack(">BQQq", 0, 0x2000, 0x2030, 5)
    keepalive = b"k" + struct.pack(">QqB", 0x2030, 6, 1)
    whole = [xlog(m) for m in (relation, begin, insert, update, delete, truncate, commit)]
    return [
        framed(*whole, keepalive),
        framed(keepalive),
        framed(xlog(b"Y" + struct.pack(">I", 90001) + b"public\0mood\0"),
               xlog(b"O" + struct.pack(">Q", 0x10) + b"origin\0")),
        framed(*whole[:4]),
    ]


if __name__ == "__main__":
    sys.exit(main())
