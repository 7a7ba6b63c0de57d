"""The hashes a Cellebrite report.xml states for a file, checked against the content read.

report.xml gives them in a `<file>`'s `<metadata section="File">` as items named `MD5`
and `SHA256` (some versions also `SHA1`), lower-case hex, an item left empty when
Cellebrite did not compute it. The UFDR container keeps the stated values in the member's
origin (`report.xml MD5`…); the worker, which hashes the content in its one read of it,
calls `verify_stated`: a match is recorded in the origin ("hash stated in report.xml:
verified (MD5, SHA-256)"), a difference is a warning naming the UFDR and its member, as
an examiner must know that the extraction is not what its report says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from scanner.evidence.containers.base import printable
from scanner.types import Locator

# item name as report.xml writes it (upper case, no dash) -> (label, hex digits)
STATED = {"MD5": ("MD5", 32), "SHA1": ("SHA-1", 40), "SHA256": ("SHA-256", 64)}
ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256"}
HEX = re.compile(r"^[0-9a-f]+$")
VERDICT = "hash stated in report.xml"


def origin_key(label: str) -> str:
    return f"report.xml {label}"


def stated_hashes(items: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The hashes among a `<file>`'s File items (as origin entries) and the items that
    name a hash but hold none (each as a reason)."""
    origin: dict[str, str] = {}
    bad: list[str] = []
    for name, value in items.items():
        known = STATED.get(name.upper().replace("-", ""))
        text = value.strip().lower()
        if known is None or not text:
            continue
        label, digits = known
        if len(text) == digits and HEX.match(text):
            origin[origin_key(label)] = text
        else:
            bad.append(f"{label} {printable(text[:80])!r} is not a valid hash: not compared")
    return origin, bad


def verify_stated(
    locator: Locator, origin: Mapping[str, str], computed: Mapping[str, str]
) -> tuple[Mapping[str, str], str]:
    """`origin` with the verdict of the stated hashes against `computed` (algorithm name ->
    hex digest) added, and the warning if one differs ("" if none does). `origin` itself
    comes back when it states no hash."""
    stated = {
        label: origin[origin_key(label)] for label in ALGORITHMS if origin_key(label) in origin
    }
    if not stated:
        return origin, ""
    differ = [label for label, value in stated.items() if computed[ALGORITHMS[label]] != value]
    if not differ:
        return {**origin, VERDICT: f"verified ({', '.join(stated)})"}, ""
    verdict = f"DIFFERS from the content read ({', '.join(differ)})"
    found = "; ".join(
        f"{label}: report.xml {stated[label]}, content {computed[ALGORITHMS[label]]}"
        for label in differ
    )
    ufdr, member = _where(locator)
    reason = (
        f"UFDR {ufdr}: member {member!r}: the content read is not what report.xml states ({found})"
    )
    return {**origin, VERDICT: verdict}, reason


def _where(locator: Locator) -> tuple[str, str]:
    """The UFDR (as its locator) and the member of it that `locator` names."""
    steps = locator.steps
    at = max((i for i, (kind, _) in enumerate(steps) if kind == "ufdr"), default=len(steps) - 1)
    value = steps[at][1]
    member = value.partition("member=")[2] or value
    return str(Locator(steps[:at])) if at else str(locator), member[:200]
