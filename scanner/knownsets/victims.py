"""Victim reference sets: a folder with one sub-folder per victim, compiled into a set
of kind 'victim' (crypto hashes and PDQ of every reference picture, by default with its
8 dihedral variants), plus a table of face embeddings filled by the models layer."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scanner.errors import KnownSetError, MediaError
from scanner.hashing.crypto import hash_bytes, hash_file
from scanner.hashing.perceptual import PDQ_MIN_QUALITY, pdq_dihedral, pdq_hash, video_pdq
from scanner.knownsets import store
from scanner.knownsets.builder import SetBuilder
from scanner.knownsets.model import ImportReport, Record, SetInfo
from scanner.media.decode import decode_picture
from scanner.media.resize import shrink_to_side

log = logging.getLogger(__name__)
# Fractions cut from (start, end) of each dimension: a reference is also hashed under every
# combination for width and height, so copies cropped by up to ~5 % of the area still match.
CROP_STEPS = (
    (0.0, 0.0),
    (0.0125, 0.0),
    (0.0, 0.0125),
    (0.0125, 0.0125),
    (0.025, 0.0),
    (0.0, 0.025),
)
CROP_SIDE = 512
PICTURE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".3gp"}
FaceRow = tuple[str, str, str, str, np.ndarray]  # label, reference, model, model sha256, vector
Embedder = Callable[[np.ndarray], list[tuple[str, str, np.ndarray]]]  # rgb -> (model, sha, vector)


@dataclass(frozen=True)
class Reference:
    """A reference picture: its victim label and path relative to the set folder."""

    label: str
    relative: str
    path: Path


def find_references(folder: Path, report: ImportReport) -> list[Reference]:
    """Pictures under DIR/<victim>/..., sorted; files directly in DIR are reported."""
    if not folder.is_dir():
        raise KnownSetError(f"{folder}: not a folder")
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        if len(relative.parts) < 2:
            report.rejected += 1
            report.note(f"{path}: not inside a victim sub-folder (DIR/<victim>/picture); skipped")
            continue
        if path.suffix.lower() not in PICTURE_SUFFIXES | VIDEO_SUFFIXES:
            continue
        found.append(Reference(relative.parts[0], relative.as_posix(), path))
    return found


def reference_pdqs(rgb: np.ndarray, dihedral: bool, crops: bool) -> tuple[list[str], int]:
    """PDQ hashes of a reference: upright first, then the 7 other dihedral variants, then
    slightly cropped versions (on a copy at most CROP_SIDE pixels wide); and the quality."""
    hexes, quality = pdq_dihedral(rgb)
    out = hexes if dihedral else hexes[:1]
    if crops:
        small = shrink_to_side(rgb, CROP_SIDE)
        h, w = small.shape[:2]
        for left, right in CROP_STEPS:
            for top, bottom in CROP_STEPS:
                if left == right == top == bottom == 0.0:
                    continue
                part = small[
                    round(h * top) : h - round(h * bottom), round(w * left) : w - round(w * right)
                ]
                if min(part.shape[:2]) >= 8:
                    out.append(pdq_hash(np.ascontiguousarray(part))[0])
    return out, quality


def video_record(ref: Reference, report: ImportReport) -> Record:
    """A reference video: crypto hashes of the file and PDQ of one frame a second."""
    crypto = hash_file(ref.path)
    meta: dict[str, object] = {"size": ref.path.stat().st_size, "video": True}
    pdqs: list[bytes] = []
    try:
        frames = video_pdq(str(ref.path))
        meta["frames"] = [[t, h, q] for t, h, q in frames]
        pdqs = [bytes.fromhex(h) for _, h, q in frames if q >= PDQ_MIN_QUALITY]
    except MediaError as exc:
        report.note(f"{ref.path}: cannot decode video ({exc}); stored by its crypto hashes only")
    return Record(
        md5=bytes.fromhex(crypto.md5),
        sha1=bytes.fromhex(crypto.sha1),
        sha256=bytes.fromhex(crypto.sha256),
        pdq=tuple(dict.fromkeys(pdqs)),
        label=ref.label,
        entry_id=ref.relative,
        meta=json.dumps(meta, sort_keys=True),
        where=ref.relative,
    )


def reference_record(
    ref: Reference, dihedral: bool, report: ImportReport, crops: bool = True
) -> tuple[Record, np.ndarray | None]:
    """The record of one reference picture and its decoded pixels (None if undecodable)."""
    if ref.path.suffix.lower() in VIDEO_SUFFIXES:
        return video_record(ref, report), None
    data = ref.path.read_bytes()
    crypto = hash_bytes(data)
    meta: dict[str, object] = {"size": len(data)}
    rgb: np.ndarray | None = None
    pdqs: tuple[bytes, ...] = ()
    try:
        rgb = decode_picture(data)
        hexes, quality = reference_pdqs(rgb, dihedral, crops)
        meta.update(pdq=hexes[0], pdq_quality=quality, width=rgb.shape[1], height=rgb.shape[0])
        if quality >= PDQ_MIN_QUALITY:
            pdqs = tuple(bytes.fromhex(h) for h in dict.fromkeys(hexes))
        else:
            report.note(
                f"{ref.path}: PDQ quality {quality} < {PDQ_MIN_QUALITY}: kept, not used for matching"
            )
    except MediaError as exc:
        report.note(f"{ref.path}: cannot decode ({exc}); stored by its crypto hashes only")
    record = Record(
        md5=bytes.fromhex(crypto.md5),
        sha1=bytes.fromhex(crypto.sha1),
        sha256=bytes.fromhex(crypto.sha256),
        pdq=pdqs,
        label=ref.label,
        entry_id=ref.relative,
        meta=json.dumps(meta, sort_keys=True),
        where=ref.relative,
    )
    return record, rgb


def build_victims(
    folder: str | Path,
    name: str,
    home: Path | None = None,
    replace: bool = False,
    dihedral: bool = True,
    embedder: Embedder | None = None,
    crops: bool = True,
) -> tuple[SetInfo, ImportReport]:
    """Compile a victim reference folder into set `name` (kind 'victim')."""
    root = Path(folder)
    report = ImportReport(name=name, source=str(root), format="victim-folder")
    refs = find_references(root, report)
    if not refs:
        raise KnownSetError(f"{root}: no reference picture found in DIR/<victim>/ sub-folders")
    builder = SetBuilder(name, "victim", home, replace)
    faces: list[FaceRow] = []
    manifest = hashlib.sha256()  # the folder's identity: sha256 and path of every picture
    try:
        for ref in refs:
            record, rgb = reference_record(ref, dihedral, report, crops)
            builder.add(record)
            if embedder is not None and rgb is not None:
                faces += [(ref.label, ref.relative, m, s, v) for m, s, v in embedder(rgb)]
            manifest.update(
                f"{record.sha256.hex() if record.sha256 else ''}  {ref.relative}\n".encode()
            )
        info = builder.finish(report, str(root.resolve()), manifest.hexdigest(), "victim-folder")
    except BaseException:
        builder.abort()
        raise
    if faces:
        VictimStore(home).add_faces(name, faces)
    return info, report


class VictimStore:
    """Face embeddings of victim sets, written by the models layer and read by matching."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = home

    def add_faces(self, set_name: str, rows: Iterable[FaceRow]) -> int:
        """Store (label, reference path or id, model name, model sha256, vector) rows."""
        folder = store.set_dir(set_name, self.home)
        values = []
        for label, reference, model, sha, vector in rows:
            array = np.asarray(vector, dtype=np.float32).ravel()
            if array.size == 0 or not np.all(np.isfinite(array)):
                raise ValueError(f"face embedding for {reference!r} is empty or not finite")
            values.append((label, str(reference), model, sha, int(array.size), array.tobytes()))
        db = store.connect(folder, writable=True)
        try:
            db.executemany(
                "INSERT INTO faces (label, reference, model_name, model_sha256, dim, vector) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                values,
            )
            db.commit()
        finally:
            db.close()
        return len(values)

    def faces(self, set_name: str, model_name: str) -> tuple[list[str], list[str], np.ndarray]:
        """(labels, references, float32 matrix [N, D]) of one model's embeddings in a set."""
        db = store.connect(store.set_dir(set_name, self.home))
        try:
            rows = db.execute(
                "SELECT label, reference, dim, vector FROM faces WHERE model_name = ? ORDER BY id",
                (model_name,),
            ).fetchall()
        finally:
            db.close()
        if not rows:
            return [], [], np.zeros((0, 0), dtype=np.float32)
        dims = {r[2] for r in rows}
        if len(dims) != 1:
            raise KnownSetError(
                f"set {set_name!r}: {model_name} embeddings differ in size: {sorted(dims)}"
            )
        matrix = np.stack([np.frombuffer(r[3], dtype=np.float32) for r in rows])
        return [r[0] for r in rows], [r[1] for r in rows], matrix
