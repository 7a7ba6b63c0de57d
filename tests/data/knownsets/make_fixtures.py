"""Writes the small known-set fixtures in this folder (run: python make_fixtures.py).

Every hash is the digest of the text b"item-N", so tests can recompute it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).parent


def digests(n: int) -> dict[str, str]:
    data = f"item-{n}".encode()
    return {
        "md5": hashlib.md5(data).hexdigest(),
        "sha1": hashlib.sha1(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def media(n: int, category: int) -> dict:
    d = digests(n)
    return {
        "MediaID": n,
        "Category": category,
        "MD5": d["md5"].upper(),
        "SHA1": d["sha1"].upper(),
        "MediaSize": 1000 + n,
        "VictimIdentified": n % 2 == 0,
        "IsPrecategorized": "true",
        "Series": f"series-{n % 3}",
        "Tags": ["t1"],
        "AlternativeHashes": [{"HashName": "SHA256", "HashValue": d["sha256"].upper()}],
        "MediaFiles": [{"FileName": f"f{n}.jpg", "FilePath": "C:/x", "MD5": d["md5"].upper()}],
    }


def write_vics() -> None:
    v2 = {
        "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media",
        "value": [media(n, n % 4) for n in range(1, 6)],
    }
    (HERE / "vics20_media.json").write_text(json.dumps(v2, indent=2) + "\n")
    v13 = {
        "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Cases",
        "value": [
            {"CaseNumber": "C-1", "Media": [media(n, 1) for n in range(10, 13)], "Examiner": "x"},
            {"CaseNumber": "C-2", "Media": [media(n, 2) for n in range(13, 15)]},
        ],
    }
    (HERE / "vics13_cases.json").write_text(json.dumps(v13, indent=1) + "\n")
    text = json.dumps(v2, indent=2).splitlines()
    bad = []
    for line in text:  # break record 2's JSON (a missing comma) and record 4's MD5
        if '"MediaID": 2,' in line:
            line = line.replace(",", "")
        if digests(4)["md5"].upper() in line and '"MD5"' in line and "MediaFiles" not in line:
            line = line.replace(digests(4)["md5"].upper(), "NOT-HEX")
        bad.append(line)
    (HERE / "vics20_bad.json").write_text("\n".join(bad) + "\n")
    wrong = dict(v2, **{"@odata.context": v2["@odata.context"].replace("2.0.xml", "3.1.xml")})
    (HERE / "vics31_wrong_version.json").write_text(json.dumps(wrong) + "\n")


def write_lists() -> None:
    lines = [f"{digests(n)['md5']}  file {n}.jpg" for n in range(20, 25)]
    (HERE / "md5sum.txt").write_text("\n".join(lines) + "\n")
    sha1 = [
        "# sha1 list",
        *(digests(n)["sha1"] for n in range(25, 28)),
        "zz" * 20,
        digests(25)["sha1"],
    ]
    (HERE / "sha1_list.txt").write_text("\n".join(sha1) + "\n")
    hashdeep = [
        "%%%% HASHDEEP-1.0",
        "%%%% size,md5,sha256,filename",
        "## Invoked from: /tmp",
        *(
            f"{100 + n},{digests(n)['md5']},{digests(n)['sha256']},/evidence/p{n}.jpg"
            for n in range(30, 33)
        ),
    ]
    (HERE / "hashdeep.txt").write_text("\n".join(hashdeep) + "\n")
    csv_rows = ["Name,Hash,Cat"] + [
        f"pic{n}.jpg,{digests(n)['sha256']},{n % 3}" for n in range(40, 43)
    ]
    (HERE / "custom.csv").write_text("\n".join(csv_rows) + "\n")
    nsrl = [
        '"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"'
    ]
    nsrl += [
        f'"{digests(n)["sha1"].upper()}","{digests(n)["md5"].upper()}","00000000","sys{n}.dll",{n},1234,"358",""'
        for n in range(50, 53)
    ]
    (HERE / "NSRLFile.txt").write_text("\n".join(nsrl) + "\n")
    rows = [
        f"INSERT INTO FILE VALUES ('{d['sha256'].upper()}','{d['sha1'].upper()}','{d['md5'].upper()}',"
        f"'app{n}.exe',{n},{7000 + n});"
        for n in range(60, 63)
        for d in [digests(n)]
    ]
    sql = [
        "CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL,",
        " file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL, package_id INTEGER NOT NULL);",
        *rows,
        "INSERT INTO FILE VALUES ('XYZ','','','broken.bin',1,1);",
    ]
    (HERE / "nsrl_v3.sql").write_text("\n".join(sql) + "\n")


if __name__ == "__main__":
    write_vics()
    write_lists()
