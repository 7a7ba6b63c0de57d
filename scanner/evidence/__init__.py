"""Read-only access to evidence: containers, volumes, file systems and carving extents."""

from scanner.evidence.images import ContainerInfo, MediaReader, open_container, open_media
from scanner.evidence.source import DiskSource, FolderSource, Source, open_evidence
from scanner.evidence.streams import Stream, read_chunks
from scanner.evidence.tsk_filesystem import WalkLimits

__all__ = [
    "ContainerInfo",
    "DiskSource",
    "FolderSource",
    "MediaReader",
    "Source",
    "Stream",
    "WalkLimits",
    "open_container",
    "open_evidence",
    "open_media",
    "read_chunks",
]
