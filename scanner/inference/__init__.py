"""inference stage of dftriage (see ARCHITECTURE.md and docs/models.md).

Public API (import from the modules):

- analyser: `PictureAnalyser.load(tasks, choose, home)`, `.analyse(rgb)`,
  `analyse_video(path, analyser, fps)`; results `PictureAnalysis`, `Face`, `ModelRef`
- identity: `FaceIndex`, `BruteForceIndex`, `IdentityMatch`, `index_reference_folder`
- manifest: `Manifest`, `load_manifest`, `discover`; catalog: `add_model`, `load_catalog`
- session: `load_adapter`, `verify`; registry: `FAMILIES`, `family`
- evaluate: `evaluate_model`, `roc_auc`

onnxruntime objects never leave this package.
"""
