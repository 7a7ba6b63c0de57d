"""Shared pieces of the deepfake benchmarks: data split, YuNet faces, composite generator.

Reads only ``../shared/data`` and ``../shared/models`` (relative to the repository root);
the product never does. Everything here is deterministic (seeded), so calibration and
evaluation runs give the same numbers.

Composite generator (classic face pasting, as apps and bots do for photo deepfakes):
the source face is warped onto the target face with a similarity transform fitted on
the 5 landmarks, then blended in one of three ways:

- ``seamless``: ``cv2.seamlessClone`` (Poisson blending, NORMAL_CLONE) with an
  elliptical mask;
- ``alpha``: feathered elliptical alpha after per-channel colour correction (mean and
  standard deviation matched inside the mask, in Lab);
- ``bottleneck128``: as ``alpha``, but the source face first goes through a 128x128
  aligned crop (the resolution of many swap models and bots) before being warped back.

Each picture is saved three ways: ``lossless`` (PNG), ``jpeg75`` (JPEG quality 75) and
``resize1024_jpeg75`` (long side reduced to 1024 when larger, then JPEG quality 75).
"""

from __future__ import annotations

import csv
import hashlib
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scanner.media.decode import decode_picture  # noqa: E402

SHARED = REPO.parent / "shared"
FACES = SHARED / "data" / "faces"
DEEPFAKES = SHARED / "data" / "deepfakes"
MODELS = SHARED / "models"
YUNET = MODELS / "face_detection" / "yunet" / "yunet_n_dynamic.onnx"
MESO = MODELS / "deepfake" / "mesonet"

BLENDS = ("seamless", "alpha", "bottleneck128")
POSTS = ("lossless", "jpeg75", "resize1024_jpeg75")

# Identity split. Calibration people are used only to fit the shipped statistics and
# thresholds; evaluation people only to measure. Multi-person group photos calibrate.
EVAL_PEOPLE = frozenset(
    {
        "deepface_P02",
        "deepface_P04",
        "deepface_P06",
        "deepface_P08",
        "deepface_P10",
        "deepface_P12",
        "biden",
        "kit_harington",
        "lin_manuel_miranda",
        "rose_leslie",
    }
)
# Pictures that are the same photograph under another name (count as one source).
SAME_PHOTO = {
    "face_recognition/32bit.png": "face_recognition/obama2.jpg",
    "face_recognition/obama-240p.jpg": "face_recognition/obama.jpg",
    "face_recognition/obama_small.jpg": "face_recognition/obama.jpg",
    "face_recognition/obama_partial_face.jpg": "face_recognition/obama.jpg",
}


@dataclass(frozen=True)
class Photo:
    """One labelled face photo of ../shared/data/faces."""

    name: str
    identity: str
    data: bytes

    @property
    def split(self) -> str:
        return "eval" if self.identity in EVAL_PEOPLE else "calib"

    @property
    def photo_id(self) -> str:
        return SAME_PHOTO.get(self.name, self.name)


@dataclass(frozen=True)
class Face:
    box: np.ndarray  # x, y, w, h
    landmarks: np.ndarray  # (5, 2)
    score: float


def available() -> bool:
    return FACES.is_dir() and YUNET.is_file()


def load_photos() -> list[Photo]:
    """Every still picture of the faces folder with a single labelled identity."""
    photos = []
    with open(FACES / "labels.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name, identity = row["file"], row["identity"]
            if name.endswith(".mp4"):
                continue
            if ";" in identity or identity.startswith("unknown"):
                identity = "group:" + name
            photos.append(Photo(name, identity, (FACES / name).read_bytes()))
    return photos


class Detector:
    """YuNet through cv2.FaceDetectorYN; pictures are detected at <= 1280 px."""

    def __init__(self, threshold: float = 0.6) -> None:
        self._net = cv2.FaceDetectorYN.create(str(YUNET), "", (320, 320), threshold, 0.45, 50)

    def __call__(self, rgb: np.ndarray) -> list[Face]:
        height, width = rgb.shape[:2]
        scale = min(1.0, 1280.0 / max(height, width))
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        if scale < 1.0:
            bgr = cv2.resize(bgr, (round(width * scale), round(height * scale)), cv2.INTER_AREA)
        self._net.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, rows = self._net.detect(bgr)
        faces = []
        for row in [] if rows is None else rows:
            faces.append(
                Face(
                    box=row[:4].astype(np.float64) / scale,
                    landmarks=row[4:14].reshape(5, 2).astype(np.float64) / scale,
                    score=float(row[14]),
                )
            )
        return sorted(faces, key=lambda f: -f.box[2] * f.box[3])


def decode(data: bytes) -> np.ndarray:
    return decode_picture(data)


def seed_of(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:4], "little")


# --------------------------------------------------------------------------- composites


def _similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    matrix, _ = cv2.estimateAffinePartial2D(
        src.astype(np.float32), dst.astype(np.float32), method=cv2.LMEDS
    )
    return matrix.astype(np.float64)


def _face_mask(shape: tuple[int, int], landmarks: np.ndarray, grow: float) -> np.ndarray:
    """Elliptical paste mask around the 5 landmarks (forehead to chin)."""
    eyes = (landmarks[0] + landmarks[1]) / 2
    mouth = (landmarks[3] + landmarks[4]) / 2
    eye_dist = float(np.linalg.norm(landmarks[1] - landmarks[0]))
    em = float(np.linalg.norm(mouth - eyes))
    unit = max(eye_dist, 0.85 * em)
    centre = eyes * 0.45 + mouth * 0.55
    angle = math.degrees(math.atan2(*(landmarks[1] - landmarks[0])[::-1]))
    axes = (round(0.95 * unit * grow), round(1.25 * unit * grow))
    mask = np.zeros(shape, np.uint8)
    cv2.ellipse(mask, (round(centre[0]), round(centre[1])), axes, angle, 0, 360, 255, -1)
    return mask


def _colour_match(src: np.ndarray, dst: np.ndarray, mask: np.ndarray) -> np.ndarray:
    inside = mask > 127
    src_lab = cv2.cvtColor(src, cv2.COLOR_RGB2LAB).astype(np.float64)
    dst_lab = cv2.cvtColor(dst, cv2.COLOR_RGB2LAB).astype(np.float64)
    for c in range(3):
        s, d = src_lab[..., c][inside], dst_lab[..., c][inside]
        src_lab[..., c] = (src_lab[..., c] - s.mean()) / (s.std() + 1e-6) * d.std() + d.mean()
    return cv2.cvtColor(np.clip(src_lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


BOTTLENECK_TEMPLATE = np.array(
    [[38.29, 51.70], [73.53, 51.50], [56.03, 71.74], [41.55, 92.37], [70.73, 92.20]]
) * (128 / 112)


def make_composite(
    source: np.ndarray,
    source_lm: np.ndarray,
    target: np.ndarray,
    target_lm: np.ndarray,
    blend: str,
    seed: int,
) -> np.ndarray:
    """Paste the source face onto the target face; returns the composite RGB."""
    rng = np.random.default_rng(seed)
    grow = float(rng.uniform(0.85, 1.15))
    height, width = target.shape[:2]
    if blend == "bottleneck128":
        to_chip = _similarity(source_lm, BOTTLENECK_TEMPLATE)
        chip = cv2.warpAffine(source, to_chip, (128, 128), flags=cv2.INTER_AREA)
        matrix = _similarity(BOTTLENECK_TEMPLATE, target_lm)
        warped = cv2.warpAffine(
            chip, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
    else:
        matrix = _similarity(source_lm, target_lm)
        warped = cv2.warpAffine(
            source, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
    mask = _face_mask((height, width), target_lm, grow)
    if blend == "seamless":
        ys, xs = np.nonzero(mask)
        centre = (int((xs.min() + xs.max() + 1) // 2), int((ys.min() + ys.max() + 1) // 2))
        out = cv2.seamlessClone(
            cv2.cvtColor(warped, cv2.COLOR_RGB2BGR),
            cv2.cvtColor(target, cv2.COLOR_RGB2BGR),
            mask,
            centre,
            cv2.NORMAL_CLONE,
        )
        return cv2.cvtColor(out, cv2.COLOR_BGR2RGB)
    warped = _colour_match(warped, target, mask)
    eye_dist = float(np.linalg.norm(target_lm[1] - target_lm[0]))
    feather = max(1.0, eye_dist * float(rng.uniform(0.08, 0.2)))
    eroded = cv2.erode(mask, np.ones((3, 3), np.uint8), iterations=max(1, round(feather)))
    alpha = cv2.GaussianBlur(eroded.astype(np.float64) / 255, (0, 0), feather)[..., None]
    out = alpha * warped.astype(np.float64) + (1 - alpha) * target.astype(np.float64)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def post_process(rgb: np.ndarray, post: str) -> tuple[bytes, bool]:
    """Encode a picture as the chat/forwarding step would; returns (bytes, is_jpeg)."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if post == "lossless":
        return cv2.imencode(".png", bgr)[1].tobytes(), False
    if post == "resize1024_jpeg75":
        height, width = bgr.shape[:2]
        scale = 1024.0 / max(height, width)
        if scale < 1.0:
            size = (round(width * scale), round(height * scale))
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 75])[1].tobytes(), True


# --------------------------------------------------------------------------- metrics


def auc(positives: list[float], negatives: list[float]) -> float:
    """ROC AUC (ties count one half)."""
    if not positives or not negatives:
        return float("nan")
    pos, neg = np.asarray(positives), np.asarray(negatives)
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def detection_at_fpr(positives: list[float], negatives: list[float], fpr: float) -> float:
    """Share of positives above the threshold that lets `fpr` of negatives through."""
    if not positives or not negatives:
        return float("nan")
    threshold = float(np.quantile(np.asarray(negatives), 1.0 - fpr, method="higher"))
    return float(np.mean(np.asarray(positives) > threshold))


# --------------------------------------------------------------------------- MesoNet


class Meso:
    """MesoNet (ONNX) fake score = 1 - real_probability on the manifest's face crop."""

    def __init__(self, name: str = "Meso4_DF") -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self._session = ort.InferenceSession(str(MESO / f"{name}.onnx"), options)

    def __call__(self, rgb: np.ndarray, box: np.ndarray) -> float:
        x, y, w, h = box
        side = round(1.3 * max(w, h))
        cx, cy = x + w / 2, y + h / 2
        x0, y0 = round(cx - side / 2), round(cy - side / 2)
        pad = side
        padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_REFLECT_101)
        crop = padded[y0 + pad : y0 + pad + side, x0 + pad : x0 + pad + side]
        crop = cv2.resize(crop, (256, 256), interpolation=cv2.INTER_LINEAR)
        tensor = (crop.astype(np.float32) / 255).transpose(2, 0, 1)[None]
        return 1.0 - float(self._session.run(None, {"input": tensor})[0][0, 0])


# --------------------------------------------------------------------------- corpus records


def expected_scale(record: dict, post: str | None = None) -> float:
    """Scale from the target photo to the saved composite (resize step)."""
    post = post or record["post"]
    if post != "resize1024_jpeg75":
        return 1.0
    return min(1.0, 1024.0 / max(record["target_shape"]))


def pasted_face(record: dict) -> dict | None:
    """The detected face at the pasted position of a composite record (None if missed)."""
    expected = np.asarray(record["target_landmarks"]) * expected_scale(record)
    centre = expected.mean(axis=0)
    unit = float(np.linalg.norm(expected[1] - expected[0]))
    best, best_dist = None, 0.5 * unit
    for face in record["faces"]:
        dist = float(np.linalg.norm(np.asarray(face["landmarks"]).mean(axis=0) - centre))
        if dist < best_dist:
            best, best_dist = face, dist
    return best


def picture_path(record: dict) -> Path:
    key = f"{record['source']}|{record['target']}|{record['blend']}|{record['post']}"
    return REPO / "bench" / "out" / "pictures" / f"{seed_of(key):010d}.bin"


def picture_bytes(record: dict, photos: dict[str, Photo]) -> tuple[bytes, bool]:
    """The saved picture of a corpus record (regenerated for genuine ones)."""
    if record["label"] == "genuine":
        data = photos[record["target"]].data
        if record["post"] == "original":
            return data, data[:3] == b"\xff\xd8\xff"
        return post_process(decode(data), record["post"])
    return picture_path(record).read_bytes(), record["post"] != "lossless"
