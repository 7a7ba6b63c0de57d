"""The facts of one blob that triage rules reason over: names, types and meaning.

The pipeline computes these facts for every blob (content, by SHA-256) from everything
stored about it: its locations, set matches, faces, scores and metadata. The rule
loader checks every `fact:` and every `{name}` in a reason against `FACTS`, so a typo
fails before the run starts. A fact that is absent or `None` means "not measured"
(e.g. no nudity model ran); a list fact that is absent means the empty list.

BEST MATCH: `match_set`, `match_method`, `match_distance` and `match_category` describe
one set match, chosen by kind first (known-bad, then victim, then known-good), then the
smallest distance, then the set name — so a known-bad rule's reason never quotes a
known-good set. `victim_match_*` describe the best match against a victim set alone.

Adding a fact: one `FactSpec` line here, the value in the pipeline's fact builder,
and a row in docs/triage.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FactType(StrEnum):
    """The value type of a fact (every fact may also be absent or None)."""

    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STR_LIST = "list[str]"

    @property
    def numeric(self) -> bool:
        return self in (FactType.INT, FactType.FLOAT)


@dataclass(frozen=True)
class FactSpec:
    """One fact: its type, what it means, and (optionally) the only values it takes."""

    name: str
    type: FactType
    meaning: str
    choices: tuple[str, ...] = ()
    bounds: tuple[float, float] | None = None  # numeric range a rule may compare with


MATCH_KINDS = ("known-bad", "victim", "known-good")
"""Set kinds, in the order that picks the best match."""


def _spec(
    name: str,
    type_: FactType,
    meaning: str,
    choices: tuple[str, ...] = (),
    bounds: tuple[float, float] | None = None,
) -> tuple[str, FactSpec]:
    return name, FactSpec(name, type_, meaning, choices, bounds)


APPARENT_MINOR_THRESHOLD = 0.5
"""`apparent_minor` holds when a face's P(age < 18) from the age model's bins is at least
this: the model's own posterior says "more likely under 18 than not". Fixed before any
measurement, never tuned (no age-labelled faces were available; see docs/triage.md)."""

_UNIT = (0.0, 1.0)
_SIGNED_UNIT = (-1.0, 1.0)
_COUNT = (0.0, float("inf"))


_S, _I, _F, _B, _L = FactType.STR, FactType.INT, FactType.FLOAT, FactType.BOOL, FactType.STR_LIST

FACTS: Mapping[str, FactSpec] = dict(
    [
        # content
        _spec("media_type", _S, "MIME type from content identification, e.g. image/jpeg"),
        _spec("kind", _S, "picture or video", ("picture", "video")),
        _spec("size", _I, "content size in bytes", bounds=_COUNT),
        # where it was found (all locations of the blob)
        _spec("deleted", _B, "true if any location is a deleted file"),
        _spec("carved", _B, "true if any location was carved from unallocated space"),
        _spec("paths", _L, "every path the content was found at (carved: none)"),
        _spec(
            "cache_stores",
            _L,
            "caches holding the content (thumbcache, thumbs.db, chromium-cache…), sorted",
        ),
        _spec(
            "only_in_cache",
            _B,
            "true if only caches hold the content: the original is gone (or never stored)",
        ),
        _spec("apps", _L, "app ids attributed from the paths (rules/apps.yaml), sorted"),
        _spec("chat_ids", _L, "chats the paths name, as app:chat-id (rules/apps.yaml), sorted"),
        _spec("account_ids", _L, "accounts the paths name, as app:account-id, sorted"),
        # set matches of the whole blob (exact hashes and perceptual PDQ); faces excluded
        _spec("match_kinds", _L, "kinds of the sets matched", MATCH_KINDS),
        _spec("match_sets", _L, "names of the sets matched"),
        _spec("match_categories", _L, "categories of the matched entries (e.g. VICS category)"),
        _spec("match_methods", _L, "methods that matched: md5, sha1, sha256, pdq, pdq-face"),
        _spec(
            "best_match_distance",
            _I,
            "smallest match distance (0 = exact, PDQ Hamming bits)",
            bounds=_COUNT,
        ),
        _spec("match_set", _S, "best match (by kind, then distance): set name"),
        _spec("match_method", _S, "best match: method (md5, sha1, sha256, pdq)"),
        _spec(
            "match_distance",
            _I,
            "best match: distance (0 = exact, PDQ Hamming bits)",
            bounds=_COUNT,
        ),
        _spec("match_category", _S, "best match: category of the matched entry"),
        _spec("victim_match_set", _S, "best match against a victim set: set name"),
        _spec("victim_match_method", _S, "best match against a victim set: method"),
        _spec(
            "victim_match_distance", _I, "best match against a victim set: distance", bounds=_COUNT
        ),
        # faces and identity
        _spec(
            "faces", _I, "number of faces detected (all sampled frames for a video)", bounds=_COUNT
        ),
        _spec("victim_labels", _L, "victims whose reference faces a face matched, sorted"),
        _spec(
            "victim_similarity",
            _F,
            "best face similarity to a victim reference",
            bounds=_SIGNED_UNIT,
        ),
        _spec("victim_reference", _S, "the victim reference photo of the best face match"),
        _spec("weak_victim_labels", _L, "victims a face matched only weakly (face-weak), sorted"),
        _spec(
            "weak_victim_distance", _F, "distance of the closest weak victim match", bounds=_COUNT
        ),
        _spec(
            "weak_victim_one_in",
            _I,
            "at that distance 1 in N different people match (embedder's measured rate)",
            bounds=_COUNT,
        ),
        # apparent age (issue #17): NOT validated on minors, a lead for review only
        _spec(
            "apparent_age",
            _F,
            "expected age (years) of the face most likely to be under 18",
            bounds=(0.0, 120.0),
        ),
        _spec("apparent_age_spread", _F, "spread (std of the bins, years) of that estimate"),
        _spec(
            "apparent_minor_probability",
            _F,
            "highest P(age < 18) over the faces, from the age model's bins",
            bounds=_UNIT,
        ),
        _spec(
            "apparent_minor",
            _B,
            f"true if a face's P(age < 18) >= {APPARENT_MINOR_THRESHOLD} (not validated on minors)",
        ),
        # model scores
        _spec(
            "nudity",
            _F,
            "nudity score 0..1 (highest exposed body-part score; video: max frame)",
            bounds=_UNIT,
        ),
        _spec("nudity_labels", _L, "nudity model labels found (e.g. FEMALE_BREAST_EXPOSED)"),
        _spec("deepfake", _F, "deepfake classifier score 0..1 (max over faces)", bounds=_UNIT),
        # deepfake evidence without a classifier (issue #8)
        _spec("consistency", _F, "face consistency z-score vs genuine photos (max per face)"),
        _spec("consistency_high", _B, "true if any face's consistency is above the shipped bar"),
        _spec("source_photo_victim", _S, "victim whose reference photo a face was made from"),
        _spec("source_photo_reference", _S, "that reference photo (its id or file name)"),
        _spec(
            "source_photo_correlation",
            _F,
            "band-pass correlation with that reference photo",
            bounds=_SIGNED_UNIT,
        ),
        _spec("generator_facts", _L, "kinds of generator/editor traces (C2PA, PNG parameters…)"),
        _spec("exif_software", _S, "EXIF/XMP software tag"),
    ]
)
"""Every fact a rule may use, by name."""


def check_facts(facts: Mapping[str, Any]) -> None:
    """Raise ValueError if a known fact has a value of the wrong type; unknown keys pass."""
    for name, spec in FACTS.items():
        value = facts.get(name)
        if value is not None and not value_fits(spec.type, value):
            raise ValueError(
                f"fact {name!r} expected {spec.type.value} or None, got {type(value).__name__}"
            )


def value_fits(type_: FactType, value: Any) -> bool:
    """True if `value` is a valid (non-None) value of a fact of type `type_`."""
    if type_ is FactType.BOOL:
        return isinstance(value, bool)
    if type_.numeric:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_ is FactType.STR:
        return isinstance(value, str)
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
