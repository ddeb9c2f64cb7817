#!/usr/bin/env python3
"""Prints WIDTH HEIGHT COLOURS of a PNG screenshot, then one line per colour asked for on the
command line (#rrggbb) with the number of its pixels. Standard library only (zlib): 8-bit RGB or
RGBA, not interlaced, which is what Chromium writes. Exit 1 when the file is not such a PNG.
Usage: python3 png_colours.py SHOT.png [#rrggbb ...]"""
import struct
import sys
import zlib


def pixels(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace != 0:
        raise ValueError("unsupported PNG form")
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def main():
    try:
        width, height, bpp, rows = pixels(sys.argv[1])
    except (OSError, ValueError, TypeError, struct.error, zlib.error) as e:
        print("png_colours: %s: %s" % (sys.argv[1], e), file=sys.stderr)
        return 1
    counts = {}
    for row in rows:
        for x in range(0, len(row), bpp):
            rgb = row[x:x + 3]
            counts[rgb] = counts.get(rgb, 0) + 1
    print(width, height, len(counts))
    for want in sys.argv[2:]:
        rgb = bytes.fromhex(want.lstrip("#"))
        print(want, counts.get(rgb, 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
