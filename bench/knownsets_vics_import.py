"""VICS import memory: peak RSS of `dftriage sets import` on a large VICS 2.0 file.

    python bench/knownsets_vics_import.py [--mb 1024] [--baseline-mb 100] [--keep]

Writes a synthetic VICS 2.0 `#Media` file of about --mb megabytes (realistic records:
hashes, category, series, tags, MediaFiles, AlternativeHashes), imports it in a child
process and reports its peak RSS and time. The baseline, measured in the same run, is
`json.load` of a --baseline-mb file of the same shape in another child (what a naive
importer does), reported as RSS per MB of input; the ratio compares the two per MB.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAD = '{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media",\n"value":[\n'
RECORD = (
    '{{"MediaID":{id},"Category":{cat},"MD5":"{md5}","SHA1":"{sha1}","MediaSize":{size},'
    '"DateUpdated":"2023-06-07T02:31:49.8300Z","IsPrecategorized":"true","VictimIdentified":{vic},'
    '"Series":"series-{series}","Tags":["tag{tag}","import"],'
    '"MediaFiles":[{{"FileName":"IMG_{id}.jpg","FilePath":"/DCIM/100/","MD5":"{md5}"}}],'
    '"AlternativeHashes":[{{"HashName":"SHA256","HashValue":"{sha256}"}}]}}'
)


def write_vics(path: Path, megabytes: int) -> int:
    target = megabytes * 1024 * 1024
    rng = random.Random(5)
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEAD)
        written = len(HEAD)
        while written < target:
            rows = []
            for _ in range(5000):
                count += 1
                rows.append(
                    RECORD.format(
                        id=count,
                        cat=rng.randint(0, 3),
                        md5=f"{rng.getrandbits(128):032X}",
                        sha1=f"{rng.getrandbits(160):040X}",
                        sha256=f"{rng.getrandbits(256):064X}",
                        size=rng.randint(1000, 9_000_000),
                        vic=rng.choice(["true", "false"]),
                        series=rng.randint(1, 500),
                        tag=rng.randint(1, 50),
                    )
                )
            chunk = (",\n" if count > 5000 else "") + ",\n".join(rows)
            out.write(chunk)
            written += len(chunk)
        out.write("\n]}\n")
    return count


def child(code: str) -> tuple[float, float, str]:
    """Run code in a fresh interpreter; (seconds, peak RSS in MB, stdout)."""
    script = (
        "import resource, sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "start = time.perf_counter()\n"
        f"{code}\n"
        "took = time.perf_counter() - start\n"
        "print('RESULT', took, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    line = [x for x in out.splitlines() if x.startswith("RESULT")][-1].split()
    return float(line[1]), float(line[2]), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--baseline-mb", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.json", Path(tmp) / "small.json"
        records = write_vics(big, args.mb)
        write_vics(small, args.baseline_mb)
        size_mb = big.stat().st_size / 2**20
        empty, base_rss, _ = child("pass")
        took, rss, out = child(
            "from scanner.knownsets import import_set\n"
            f"info, report = import_set({str(big)!r}, 'big', 'known-bad', home=__import__('pathlib').Path({tmp!r}))\n"
            "print('COUNTS', report.accepted, report.rejected)"
        )
        counts = [x for x in out.splitlines() if x.startswith("COUNTS")][0]
        b_took, b_rss, _ = child(f"import json\ndoc = json.load(open({str(small)!r}))")
        small_mb = small.stat().st_size / 2**20
        print(
            f"VICS 2.0 file: {size_mb:,.0f} MB, {records:,} records ({counts.split()[1]} accepted, "
            f"{counts.split()[2]} rejected)"
        )
        print(
            f"dftriage import: {took:.0f} s ({size_mb / took:.1f} MB/s), peak RSS {rss:,.0f} MB "
            f"(interpreter alone {base_rss:.0f} MB)"
        )
        print(
            f"baseline json.load of {small_mb:.0f} MB: {b_took:.1f} s, peak RSS {b_rss:,.0f} MB "
            f"= {(b_rss - base_rss) / small_mb:.1f} MB per MB of input"
        )
        print(
            f"RSS per MB of input: dftriage {(rss - base_rss) / size_mb:.3f}, "
            f"json.load {(b_rss - base_rss) / small_mb:.2f}; ratio "
            f"{((b_rss - base_rss) / small_mb) / max(1e-9, (rss - base_rss) / size_mb):.0f}x less memory per MB"
        )
        if args.keep:
            os.link(big, ROOT / "bench" / "out" / "vics_big.json")


if __name__ == "__main__":
    main()
