"""The two-sided genuine-photo model: chi-square to z, shrinkage, both directions score high."""

from __future__ import annotations

import json

import numpy as np

from scanner.analyse.signals.generator_metadata import _c2pa_assertions
from scanner.analyse.signals.scoring import (
    GaussianModel,
    chi2_to_z,
    fit_genuine,
    ledoit_wolf,
    with_direction,
)


def test_chi2_to_z_matches_known_quantiles() -> None:
    # chi-square 95th percentiles for 4 and 8 degrees of freedom: 9.488 and 15.507
    assert abs(chi2_to_z(9.488, 4) - 1.645) < 0.03
    assert abs(chi2_to_z(15.507, 8) - 1.645) < 0.02
    assert chi2_to_z(4.0, 4) < chi2_to_z(9.0, 4) < chi2_to_z(30.0, 4)


def test_ledoit_wolf_shrinks_towards_scaled_identity() -> None:
    rng = np.random.default_rng(0)
    few = rng.normal(size=(6, 5))
    shrunk = ledoit_wolf(few)
    assert np.all(np.linalg.eigvalsh(shrunk) > 0)  # the sample covariance of 6 rows is singular-ish
    many = rng.normal(size=(5000, 3)) @ np.diag([1.0, 2.0, 3.0])
    assert np.allclose(np.diag(ledoit_wolf(many)), [1.0, 4.0, 9.0], rtol=0.1)


def test_unusual_faces_score_high_in_either_direction_and_round_trip() -> None:
    rng = np.random.default_rng(1)
    names = ("a", "b", "c")
    genuine = rng.normal(size=(400, 3))
    composites = rng.normal(size=(400, 3)) + np.array([-2.0, 0.0, 0.0])
    model = with_direction(fit_genuine(names, genuine), genuine, composites)
    typical = model.two_sided(model.zscores({"a": 0.1, "b": -0.2, "c": 0.0}))
    low = model.two_sided(model.zscores({"a": -4.0, "b": 0.0, "c": 0.0}))
    high = model.two_sided(model.zscores({"a": 4.0, "b": 0.0, "c": 0.0}))
    assert typical < 1.0 < 2.5 < min(low, high)  # 4 sigma off in 3 dimensions: z about 3
    assert model.one_sided(model.zscores({"a": -4.0, "b": 0.0, "c": 0.0})) > 3.0
    assert model.one_sided(model.zscores({"a": 4.0, "b": 0.0, "c": 0.0})) < 0.0
    again = GaussianModel.from_json(json.loads(json.dumps(model.to_json())))
    assert again == model


def test_one_sided_direction_weighs_each_feature_by_its_own_separation() -> None:
    """Diagonal discriminant: a near copy of a separating feature never gets a reversed weight."""
    rng = np.random.default_rng(2)
    base = rng.normal(size=(600, 1))
    genuine = np.hstack([base, base + 0.3 * rng.normal(size=(600, 1)), rng.normal(size=(600, 1))])
    shifted = rng.normal(size=(600, 1)) + 1.5
    composites = np.hstack(
        [shifted, shifted + 0.3 * rng.normal(size=(600, 1)), rng.normal(size=(600, 1))]
    )
    model = with_direction(fit_genuine(("a", "b", "noise"), genuine), genuine, composites)
    assert model.direction is not None
    a, b, noise = model.direction
    assert a > 0.5 and b > 0.5 and abs(noise) < 0.1


def test_c2pa_manifest_assertions_become_facts() -> None:
    manifest = json.dumps(
        {
            "manifests": {
                "m1": {
                    "claim_generator": "FaceApp/11.0 c2pa-rs/0.30",
                    "assertions": [
                        {
                            "label": "c2pa.actions",
                            "data": {
                                "actions": [
                                    {
                                        "action": "c2pa.created",
                                        "digitalSourceType": "http://cv.iptc.org/newscodes/"
                                        "digitalsourcetype/trainedAlgorithmicMedia",
                                    },
                                    {"action": "c2pa.edited"},
                                ]
                            },
                        }
                    ],
                }
            }
        }
    )
    kinds = [fact.kind for fact in _c2pa_assertions(manifest, "Valid")]
    assert kinds == ["c2pa-manifest", "c2pa-ai-generated", "c2pa-edited", "face-swap-software"]
