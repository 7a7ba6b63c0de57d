"""Throughput of the whole per-picture analysis on 12-megapixel photos, against a naive
baseline measured in the same run.

    python bench/inference_throughput.py [--pictures 48] [--chunk 16] [--workers 2] [--detector yunet-n]
                                         [--small-faces GRID] [--stages] [--no-deepfake]
                                         [--int8 | --device cuda] [--against REVISION]

Pictures: 4000×3000 JPEGs (quality 92) made in memory from real photos: a face-free
wallpaper photo (/usr/share/wallpapers, plasma-workspace-wallpapers) or a blurred face
photo as background, with 0–5 face photos from ../shared/data/faces pasted on it.
Analysis = decode → detect (MTCNN, or --detector yunet-n from ../shared) → align → embed (default embedder) → nudity
(NudeNet) → deepfake (MesoNet Meso4_DF from ../shared when present).

- naive: full-resolution decode, one picture at a time, onnxruntime's default
  session options (all cores per session);
- dftriage: reduced JPEG decode (DCT scaling to the analysis size), single-threaded
  sessions, one worker process per core.

The two take turns on chunks of `--chunk` pictures, so a change in the load of the
shared machine hits both alike.

Prints pictures/s for both, the ratio (issue #5 targets: ≥ 4× and ≥ 20 pictures/s) and
the load average before and after (the machine is shared: compare ratios, not absolutes).
`--int8` runs, instead of the naive baseline, the float models against the int8 ones
(dlib-resnet-v1-int8, nudenet-320n-int8: `dftriage models quantise`), both the dftriage
way, in alternating turns, and prints the ratio; `--device cuda` does the same with the
CPU run against the CUDA run (needs onnxruntime-gpu and a GPU). `--no-deepfake` leaves out
Meso4 (not a bundled model: the bundled cascade is MTCNN + dlib + NudeNet).
`--against REVISION` runs that git revision's `scanner` package (extracted with
`git archive`, never checked out) against this tree's, in the same alternating turns
(with `--int8`: old and new code, each with float and int8 models), so that a change is
measured before/after in one run.
`--small-faces GRID` turns on the tiled small-face search in the dftriage run only;
`--stages` adds the CPU milliseconds per picture of each stage, in one process, and the
rate those allow on idle cores (workers × 1000 / CPU ms per picture).
"""

from __future__ import annotations

import argparse
import collections
import importlib
import io
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from detect_agreement import extract_revision  # noqa: E402

from scanner.inference.analyser import PictureAnalyser  # noqa: E402
from scanner.inference.tiling import SmallFaces  # noqa: E402
from scanner.media.decode import decode_picture  # noqa: E402

SHARED = REPO.parent / "shared"
FACES = SHARED / "data" / "faces"
MESO = SHARED / "models" / "deepfake" / "mesonet" / "Meso4_DF.onnx"
YUNET = SHARED / "models" / "face_detection" / "yunet" / "yunet_n_dynamic.onnx"
WALLPAPERS = Path("/usr/share/wallpapers")
SIZE = (4000, 3000)


def _photos(folder: Path, pattern: str) -> list[Path]:
    return sorted(path for path in folder.glob(pattern) if path.is_file())


def make_pictures(count: int) -> list[bytes]:
    """`count` 12-megapixel JPEGs with 0–5 pasted faces each (deterministic)."""
    rng = np.random.default_rng(12)
    faces = _photos(FACES / "face_recognition", "*.jp*g") + _photos(FACES / "deepface", "img*.jpg")
    if not faces:
        raise SystemExit(f"no face photos in {FACES}")
    backgrounds = [
        max(_photos(d / "contents" / "images", "*.jpg"), key=lambda p: p.stat().st_size)
        for d in sorted(WALLPAPERS.glob("*"))
        if _photos(d / "contents" / "images", "*.jpg")
    ]
    pictures = []
    for index in range(count):
        if backgrounds:
            canvas = Image.open(backgrounds[index % len(backgrounds)]).convert("RGB").resize(SIZE)
        else:
            base = Image.open(faces[index % len(faces)]).convert("RGB").resize((200, 150))
            canvas = base.resize(SIZE, Image.Resampling.BICUBIC)
        for slot in range(index % 6):
            face = Image.open(faces[int(rng.integers(len(faces)))]).convert("RGB")
            width = int(rng.integers(450, 800))
            face = face.resize((width, int(width * face.height / face.width)))
            canvas.paste(face, (slot * 780 + int(rng.integers(0, 80)), int(rng.integers(0, 900))))
        buffer = io.BytesIO()
        canvas.save(buffer, "JPEG", quality=92)
        pictures.append(buffer.getvalue())
    return pictures


INT8 = {"face-embed": "dlib-resnet-v1-int8", "nudity": "nudenet-320n-int8"}


def _tasks(
    home: Path, detector: str, deepfake: bool = True
) -> tuple[tuple[str, ...], dict[str, str]]:
    from scanner.inference.catalog import add_model

    choose = {"face-detect": detector}
    if detector == "yunet-n":
        add_model(YUNET, home=home)
    if deepfake and MESO.is_file():
        add_model(MESO, home=home)
        choose["deepfake"] = "meso4-df"
        return ("face-detect", "face-embed", "nudity", "deepfake"), choose
    return ("face-detect", "face-embed", "nudity"), choose


_worker: PictureAnalyser | None = None
_decode = decode_picture


def _init(
    home: str,
    tasks: tuple[str, ...],
    choose: dict[str, str],
    grid: int,
    device: str = "cpu",
    source: str | None = None,
) -> None:
    """A worker's analyser; with `source`, built from the `scanner` package found there
    (another revision's, see `--against`) instead of this tree's."""
    global _worker, _decode
    cv2.setNumThreads(1)
    analyser, tiles, decode = PictureAnalyser, SmallFaces, decode_picture
    if source is not None:
        for name in [name for name in sys.modules if name.split(".")[0] == "scanner"]:
            del sys.modules[name]
        sys.path.insert(0, source)
        analyser = importlib.import_module("scanner.inference.analyser").PictureAnalyser
        tiles = importlib.import_module("scanner.inference.tiling").SmallFaces
        decode = importlib.import_module("scanner.media.decode").decode_picture
    _worker, _decode = analyser.load(tasks, choose, Path(home), 1, tiles(grid), device), decode


def _analyse(path: str) -> int:
    assert _worker is not None
    rgb = _decode(Path(path).read_bytes(), max_side=_worker.decode_side)
    return len(_worker.analyse(rgb).faces)


def _worker_stages(paths: list[str]) -> dict[str, float]:
    """`stages` in a worker, with its analyser (this tree's or another revision's)."""
    assert _worker is not None
    return stages([Path(path).read_bytes() for path in paths], _worker, _decode)


def interleaved(
    pictures: list[str], home: Path, tasks, choose, workers: int, grid: int, chunk: int
) -> dict[str, tuple[float, int]]:
    """pictures/s and faces of the naive baseline and of dftriage, run in turns on chunks
    of `chunk` pictures so that both see the same changes in the machine's load. Each
    reads the picture files itself, as a scan's workers read the evidence."""
    baseline = PictureAnalyser.load(tasks, choose, home, threads=0)

    def naive(path: str) -> int:
        return len(baseline.analyse(decode_picture(Path(path).read_bytes())).faces)

    naive(pictures[0])
    spent = {"naive": 0.0, "dftriage": 0.0}
    faces = {"naive": 0, "dftriage": 0}
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, _init, (str(home), tasks, choose, grid)) as pool:
        pool.map(_analyse, pictures[:workers], chunksize=1)
        for first in range(0, len(pictures), chunk):
            part = pictures[first : first + chunk]
            start = time.perf_counter()
            faces["naive"] += sum(naive(path) for path in part)
            spent["naive"] += time.perf_counter() - start
            start = time.perf_counter()
            faces["dftriage"] += sum(pool.imap_unordered(_analyse, part, chunksize=1))
            spent["dftriage"] += time.perf_counter() - start
    return {name: (len(pictures) / spent[name], faces[name]) for name in spent}


Run = tuple[dict[str, str], str, "str | None"]  # model choice, device, code (see _init)


def alternating(
    pictures: list[str],
    home: Path,
    tasks,
    runs: dict[str, Run],
    workers: int,
    grid: int,
    chunk: int,
    stage_paths: list[str] | None = None,
) -> tuple[dict[str, tuple[float, int]], dict[str, dict[str, float]]]:
    """pictures/s and faces of each run (label → (model choice, device, code)), each with
    its own pool of `workers` processes, in turns on chunks of `chunk` pictures; and, with
    `stage_paths`, each run's `stages` on those pictures in one of its workers."""
    context = multiprocessing.get_context("spawn")
    pools = {
        label: context.Pool(workers, _init, (str(home), tasks, choose, grid, device, source))
        for label, (choose, device, source) in runs.items()
    }
    spent = dict.fromkeys(runs, 0.0)
    faces = dict.fromkeys(runs, 0)
    try:
        for pool in pools.values():
            pool.map(_analyse, pictures[:workers], chunksize=1)
        for turn, first in enumerate(range(0, len(pictures), chunk)):
            part = pictures[first : first + chunk]
            order = list(pools) if turn % 2 == 0 else list(pools)[::-1]
            for label in order:
                start = time.perf_counter()
                faces[label] += sum(pools[label].imap_unordered(_analyse, part, chunksize=1))
                spent[label] += time.perf_counter() - start
        per_stage = {}
        if stage_paths:
            per_stage = {
                label: pool.apply(_worker_stages, (stage_paths,)) for label, pool in pools.items()
            }
    finally:
        for pool in pools.values():
            pool.terminate()
    rates = {label: (len(pictures) / spent[label], faces[label]) for label in runs}
    return rates, per_stage


def stages(pictures: list[bytes], analyser, decode=decode_picture) -> dict[str, float]:
    """CPU ms per picture of decode and of each model adapter call of `analyser` (loaded
    with one thread), in this process."""
    cv2.setNumThreads(1)
    spent: dict[str, float] = collections.defaultdict(float)

    def timed(name, method):
        def call(*args, **kwargs):
            start = time.process_time()
            try:
                return method(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - start

        return call

    for task, method in (
        ("face-detect", "detect"),
        ("face-embed", "embed"),
        ("nudity", "classify"),
        ("deepfake", "score"),
    ):
        adapter = analyser.adapters.get(task)
        if adapter is not None:
            setattr(adapter, method, timed(task, getattr(adapter, method)))
    analyse = timed("analyse (all)", analyser.analyse)
    for data in pictures:
        start = time.process_time()
        rgb = decode(data, max_side=analyser.decode_side)
        spent["decode"] += time.process_time() - start
        analyse(rgb)
    return {name: value / len(pictures) * 1000 for name, value in spent.items()}


def _load() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=48)
    parser.add_argument("--workers", type=int, default=multiprocessing.cpu_count())
    parser.add_argument("--detector", default="mtcnn", choices=["mtcnn", "yunet-n"])
    parser.add_argument("--small-faces", type=int, default=0, metavar="GRID")
    parser.add_argument("--stages", action="store_true")
    parser.add_argument("--chunk", type=int, default=16, help="pictures per turn of each method")
    parser.add_argument("--no-deepfake", action="store_true", help="bundled models only")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--int8", action="store_true", help="float against int8 models")
    group.add_argument("--device", choices=["cuda"], help="CPU against CUDA")
    parser.add_argument("--against", metavar="REVISION", help="that git revision's code first")
    args = parser.parse_args()
    pictures = make_pictures(args.pictures)
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        paths = []
        for index, data in enumerate(pictures):
            paths.append(str(home / f"picture-{index:03d}.jpg"))
            Path(paths[-1]).write_bytes(data)
        tasks, choose = _tasks(home, args.detector, not args.no_deepfake)
        PictureAnalyser.load(tasks, choose, home)  # builds the default embedder once
        models = ", ".join(ref.name for ref in PictureAnalyser.load(tasks, choose, home).models)
        print(f"{len(pictures)} pictures {SIZE[0]}x{SIZE[1]}, 0-5 faces; models: {models}")
        print(f"before   : {_load()}")
        if args.int8 or args.device or args.against:
            _compare(args, paths, home, tasks, choose)
            return
        rates = interleaved(paths, home, tasks, choose, args.workers, args.small_faces, args.chunk)
        (base_rate, base_faces), (rate, faces) = rates["naive"], rates["dftriage"]
        print(f"naive    : {base_rate:6.2f} pictures/s  ({base_faces} faces)")
        tiles = f", small-face grid {args.small_faces}" if args.small_faces else ""
        print(f"dftriage : {rate:6.2f} pictures/s  ({faces} faces, {args.workers} workers{tiles})")
        print(f"ratio    : {rate / base_rate:6.2f} x naive (target >= 4); absolute target >= 20/s")
        print(f"after    : {_load()}")
        if args.stages:
            analyser = PictureAnalyser.load(tasks, choose, home, 1, SmallFaces(args.small_faces))
            spent = stages(pictures, analyser)
            for name in ("decode", *tasks, "analyse (all)"):
                print(f"  {name:14s} {spent.get(name, 0.0):7.1f} CPU ms/picture")
            ceiling = args.workers * 1000 / (spent["decode"] + spent["analyse (all)"])
            print(f"CPU-bound ceiling on {args.workers} idle cores: {ceiling:.1f} pictures/s")


def _compare(args, paths: list[str], home: Path, tasks, choose: dict[str, str]) -> None:
    """Float against int8, CPU against CUDA, or another revision's code against this
    tree's (with --int8: both model sets for each), the dftriage way, in alternating turns."""
    models = {"float": choose}
    if args.int8:
        int8 = {**choose, **{task: name for task, name in INT8.items() if task in tasks}}
        PictureAnalyser.load(tasks, int8, home)  # builds the int8 models once
        print(f"int8     : {', '.join(f'{t}={n}' for t, n in INT8.items())}")
        models["int8"] = int8
    if args.device:
        try:
            PictureAnalyser.load(tasks, choose, home, device="cuda")
        except Exception as exc:  # noqa: BLE001 - say why and stop
            raise SystemExit(f"--device cuda: {exc}") from None
        runs: dict[str, Run] = {"cpu": (choose, "cpu", None), "cuda": (choose, "cuda", None)}
    elif args.against:
        old = str(extract_revision(args.against, home / "old"))
        print(f"old      : the scanner package of {args.against}; new: this tree")
        runs = {
            f"{code} {kind}": (choice, "cpu", old if code == "old" else None)
            for kind, choice in models.items()
            for code in ("old", "new")
        }
    else:
        runs = {kind: (choice, "cpu", None) for kind, choice in models.items()}
    stage_paths = paths if args.stages else None
    rates, spent = alternating(
        paths, home, tasks, runs, args.workers, args.small_faces, args.chunk, stage_paths
    )
    width = max(9, *(len(label) for label in runs))
    for label in runs:
        rate, faces = rates[label]
        print(f"{label:{width}s}: {rate:6.2f} pictures/s  ({faces} faces, {args.workers} workers)")
    first = next(iter(runs))
    for label in list(runs)[1:]:
        ratio = rates[label][0] / rates[first][0]
        print(f"ratio    : {ratio:6.2f} x {first} for {label} (same run); absolute target >= 20/s")
    print(f"after    : {_load()}")
    for name in ("decode", *tasks, "analyse (all)") if spent else ():
        row = "  ".join(f"{spent[label].get(name, 0.0):7.1f}" for label in runs)
        print(f"  {name:14s} {row}  CPU ms/picture ({' / '.join(runs)})")
    for label in spent:
        ceiling = args.workers * 1000 / (spent[label]["decode"] + spent[label]["analyse (all)"])
        print(f"CPU-bound ceiling on {args.workers} idle cores, {label}: {ceiling:.1f} pictures/s")


if __name__ == "__main__":
    main()
