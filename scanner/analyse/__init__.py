"""Per-blob analysis in worker processes: a picture (`picture`), a video (`video`), the
victim reference photos a face may come from (`source_photo`), and the signals computed
on faces and files (`signals/`: consistency, provenance, generator metadata)."""
