"""GeoPackage geometry blobs (OGC 12-128r18, 2.1.3): header, envelope, WKB; and the SQL functions
that GDAL's spatial-index triggers call (ST_IsEmpty, ST_MinX, ST_MaxX, ST_MinY, ST_MaxY).

A plain sqlite3 connection lacks those functions (they come with GDAL or mod_spatialite); registering
them here lets us write to any GeoPackage, ours or GDAL's, with its R-tree kept current.
"""

from __future__ import annotations

import sqlite3
import struct

import shapely
from shapely.geometry.base import BaseGeometry

__all__ = ["decode", "decode_many", "encode", "envelope", "register_functions"]

_MAGIC = b"GP"
# envelope indicator → number of doubles
_ENVELOPE_DOUBLES = {0: 0, 1: 4, 2: 6, 3: 6, 4: 8}


def encode(geom: BaseGeometry | None, srs_id: int) -> bytes | None:
    """A GeoPackage blob (little-endian, XY envelope; empty flag for empty geometries)."""
    if geom is None:
        return None
    if geom.is_empty:
        flags = 0b0001_0001  # empty, no envelope, little endian
        header = struct.pack("<2sBBi", _MAGIC, 0, flags, srs_id)
        return header + shapely.to_wkb(geom, byte_order=1, flavor="iso")
    flags = 0b0000_0011  # envelope xy (indicator 1), little endian
    minx, miny, maxx, maxy = geom.bounds
    header = struct.pack("<2sBBi4d", _MAGIC, 0, flags, srs_id, minx, maxx, miny, maxy)
    return header + shapely.to_wkb(geom, byte_order=1, flavor="iso")


def _parse_header(blob: bytes) -> tuple[int, bool, tuple[float, ...], int]:
    """(flags, empty, envelope doubles, offset of the WKB)."""
    if len(blob) < 8 or blob[:2] != _MAGIC:
        raise ValueError("not a GeoPackage geometry blob")
    flags = blob[3]
    indicator = (flags >> 1) & 0b111
    if indicator not in _ENVELOPE_DOUBLES:
        raise ValueError(f"bad envelope indicator {indicator}")
    little = flags & 1
    n = _ENVELOPE_DOUBLES[indicator]
    env = struct.unpack(("<" if little else ">") + f"{n}d", blob[8 : 8 + 8 * n]) if n else ()
    return flags, bool(flags & 0b1_0000), env, 8 + 8 * n


def decode(blob: bytes | None) -> BaseGeometry | None:
    """The geometry in a GeoPackage blob (None for NULL)."""
    if blob is None:
        return None
    _, _, _, offset = _parse_header(bytes(blob))
    geom: BaseGeometry = shapely.from_wkb(bytes(blob[offset:]))
    return geom


def decode_many(blobs: list[bytes | None]) -> list[BaseGeometry | None]:
    """Many blobs at once: headers parsed in Python, the WKB decoded by GEOS in one vectorized call."""
    wkbs: list[bytes | None] = []
    for blob in blobs:
        if blob is None:
            wkbs.append(None)
            continue
        _, _, _, offset = _parse_header(bytes(blob))
        wkbs.append(bytes(blob[offset:]))
    return list(shapely.from_wkb(wkbs))


def envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) from the header, or from the WKB when the header has none."""
    if blob is None:
        return None
    _, empty, env, offset = _parse_header(bytes(blob))
    if empty:
        return None
    if len(env) >= 4:
        return env[0], env[1], env[2], env[3]
    geom = shapely.from_wkb(bytes(blob[offset:]))
    if geom.is_empty:
        return None
    minx, miny, maxx, maxy = geom.bounds
    return minx, maxx, miny, maxy


def _is_empty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    _, empty, _, offset = _parse_header(bytes(blob))
    if empty:
        return 1
    return int(shapely.from_wkb(bytes(blob[offset:])).is_empty) if len(blob) <= offset + 9 else 0


def _coord(index: int) -> object:
    def f(blob: bytes | None) -> float | None:
        env = envelope(blob)
        return None if env is None else env[index]

    return f


def register_functions(conn: sqlite3.Connection) -> None:
    """Register the functions the GeoPackage R-tree triggers call."""
    conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(name, 1, _coord(i), deterministic=True)  # type: ignore[arg-type]
