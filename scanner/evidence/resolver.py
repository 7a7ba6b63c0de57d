"""A `Locator` opens its bytes: evidence, then each container step in turn (dfvfs-style).

The first step names the evidence (a disk image, a folder, an archive file); the steps
that follow and are not containers are the evidence's own (partition and file system,
carved runs, a folder's file); every later step is a registered container's member
(`zip:member=…`, `tar:member=…@offset`, `gzip:data`…). Opened evidence and parsed
containers are cached per resolver (one per process), so ten thousand members of one zip
inside one E01 open the E01 and parse the zip's directory once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

from scanner.errors import EvidenceError
from scanner.evidence.containers import CONTAINERS, Container, ContainerOptions
from scanner.evidence.source import Source, open_evidence
from scanner.evidence.streams import FileStream, Stream
from scanner.types import Locator

PARSED_CONTAINERS = 64  # parsed containers kept per process (least recently used dropped)


class Resolver:
    """Opens locators; holds the opened evidence and parsed containers of one process."""

    def __init__(
        self, options: ContainerOptions | None = None, roots: Mapping[str, str] | None = None
    ) -> None:
        self.options = options or ContainerOptions()
        # evidence path (or folder) as recorded -> as seen here; the longest prefix applies
        self._roots = sorted(dict(roots or {}).items(), key=lambda kv: -len(kv[0]))
        self._sources: dict[str, Source] = {}
        self._containers: OrderedDict[tuple[Locator, str], Container] = OrderedDict()

    def open_stream(self, locator: Locator) -> Stream:
        """The content named by `locator`; EvidenceError naming the step that fails."""
        steps = locator.steps
        first = next((i for i in range(1, len(steps)) if steps[i][0] in CONTAINERS), len(steps))
        for index in range(len(steps) - 1, first - 1, -1):  # the deepest parsed container
            key = (Locator(steps[:index]), steps[index][0])
            if key in self._containers:
                self._containers.move_to_end(key)
                stream = self._containers[key].open(steps[index][1])
                start = index + 1
                break
        else:
            stream, start = self._evidence_stream(Locator(steps[:first])), first
        for index in range(start, len(steps)):
            kind, value = steps[index]
            stream = self._container(Locator(steps[:index]), kind, stream).open(value)
        return stream

    def _container(self, content: Locator, kind: str, stream: Stream) -> Container:
        """The container of `kind` whose bytes `content` names (parsed once, then cached)."""
        key = (content, kind)
        if key in self._containers:
            return self._containers[key]
        try:
            container = CONTAINERS[kind](stream, self.options)
        except KeyError as exc:
            raise EvidenceError(f"{content}: {exc.args[0]}") from None
        except (OSError, ValueError, EOFError) as exc:
            raise EvidenceError(f"{content}: cannot open {kind}: {exc}") from exc
        self._containers[key] = container
        while len(self._containers) > PARSED_CONTAINERS:
            self._containers.popitem(last=False)
        return container

    def _evidence_stream(self, locator: Locator) -> Stream:
        kind, recorded = locator.root
        path = self.mapped(recorded)
        if kind == "file" and len(locator.steps) == 1:
            return FileStream(path)  # an archive given as evidence
        source = self._sources.get(path)
        if source is None:
            source = self._sources[path] = open_evidence(path, options=self.options)
        if source.locator.root[0] != kind:
            raise EvidenceError(f"{locator}: {path} is no longer {kind} evidence")
        return source.open_item(Locator(((source.locator.root), *locator.steps[1:])))

    def mapped(self, recorded: str) -> str:
        """`recorded` (an evidence path) as this process sees it: the longest root that is
        the path itself or one of its parent folders is replaced by where it is mounted."""
        for local, here in self._roots:
            if recorded == local:
                return here
            if recorded.startswith(local.rstrip("/") + "/"):
                return here.rstrip("/") + recorded[len(local.rstrip("/")) :]
        return recorded

    def close(self) -> None:
        for source in self._sources.values():
            source.close()
        self._sources.clear()
        self._containers.clear()
