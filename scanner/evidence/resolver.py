"""A `Locator` opens its bytes: evidence, then each container step in turn (dfvfs-style).

The first step names the evidence (a disk image, a folder, an archive file); the steps
that follow and are not containers are the evidence's own (partition and file system,
carved runs, a folder's file); every later step is a registered container's member
(`zip:member=…`, `tar:member=…@offset`, `gzip:data`…). Opened evidence and parsed
containers are cached per resolver (one per process), so ten thousand members of one zip
inside one E01 open the E01 and parse the zip's directory once.

A container made of several files reaches the files beside it through `siblings`: by
path in the same file system, folder or archive (`FileSiblings`), each found file named
by the step value its parent gives it, so that `parent > kind:value` reopens it anywhere.
"""

from __future__ import annotations

import posixpath
from collections import OrderedDict
from collections.abc import Mapping

from scanner.errors import EvidenceError
from scanner.evidence.containers import CONTAINERS, Container, ContainerOptions, Member
from scanner.evidence.containers.base import NO_SIBLINGS, Siblings, build
from scanner.evidence.source import DiskSource, FolderSource, Source, open_evidence
from scanner.evidence.streams import FileStream, Stream
from scanner.types import Locator

PARSED_CONTAINERS = 64  # parsed containers kept per process (least recently used dropped)
PATH_INDEXES = 8  # archives whose member paths are indexed for sibling look-ups


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
        self._indexes: OrderedDict[tuple[Locator, str], dict[str, str]] = OrderedDict()

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
            container = build(kind, stream, self.options, self.siblings(content))
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
        if kind == "file" and len(locator.steps) == 1:
            return FileStream(self.mapped(recorded))  # an archive given as evidence
        source = self._source(locator)
        return source.open_item(Locator(((source.locator.root), *locator.steps[1:])))

    def _source(self, locator: Locator) -> Source:
        kind, recorded = locator.root
        path = self.mapped(recorded)
        source = self._sources.get(path)
        if source is None:
            source = self._sources[path] = open_evidence(path, options=self.options)
        if source.locator.root[0] != kind:
            raise EvidenceError(f"{locator}: {path} is no longer {kind} evidence")
        return source

    def siblings(self, locator: Locator, path: str | None = None) -> Siblings:
        """The files beside the one `locator` names (whose path in its parent is `path`,
        if known), for a container made of several files."""
        if len(locator.steps) < 2:
            return NO_SIBLINGS  # evidence given as one file: nothing beside it is evidence
        if locator.steps[-1][0] in CONTAINERS:
            path = None  # an item path spans the archives above: the archive's own is listed
        return FileSiblings(self, locator, path)

    def lookup(self, parent: Locator, kind: str, path: str) -> str | None:
        """The step value of `kind` naming the regular file at `path` in `parent`'s file
        system, folder or archive (None if there is none)."""
        if kind in CONTAINERS:
            return self._path_index(parent, kind).get(path)
        source = self._source(parent)
        if isinstance(source, DiskSource | FolderSource):
            return source.find_path(Locator((source.locator.root, *parent.steps[1:])), path)
        return None

    def member_path(self, parent: Locator, kind: str, value: str) -> str | None:
        """The path in its archive of the member `value` of `parent` (None if not listed)."""
        index = self._path_index(parent, kind)
        return next((path for path, found in index.items() if found == value), None)

    def _path_index(self, parent: Locator, kind: str) -> dict[str, str]:
        """{member path ("/a/b") -> step value} of an archive, listed once per process."""
        key = (parent, kind)
        if key not in self._indexes:
            cached = self._containers.get(key)
            container = (
                cached
                if cached is not None
                else self._container(parent, kind, self.open_stream(parent))
            )
            index: dict[str, str] = {}
            for member in container.members():
                if isinstance(member, Member) and len(index) < self.options.max_members:
                    index.setdefault(normalised(member.path), member.value)
            self._indexes[key] = index
            while len(self._indexes) > PATH_INDEXES:
                self._indexes.popitem(last=False)
        self._indexes.move_to_end(key)
        return self._indexes[key]

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
        self._indexes.clear()


class FileSiblings:
    """The files beside the one at `locator` (the same parent), opened by `resolver`."""

    def __init__(self, resolver: Resolver, locator: Locator, path: str | None) -> None:
        self._resolver = resolver
        self._parent = Locator(locator.steps[:-1])
        self._kind, self._value = locator.steps[-1]
        self._path = normalised(path) if path is not None else None

    @property
    def path(self) -> str | None:
        if self._path is None and self._kind in CONTAINERS:
            self._path = self._resolver.member_path(self._parent, self._kind, self._value)
        return self._path

    def find(self, path: str) -> str | None:
        if not path.startswith("/"):
            own = self.path
            if own is None:
                return None
            path = posixpath.dirname(own) + "/" + path
        return self._resolver.lookup(self._parent, self._kind, normalised(path))

    def open(self, reference: str) -> Stream:
        return self._resolver.open_stream(self._parent.child(self._kind, reference))

    def describe(self, reference: str) -> str:
        return str(self._parent.child(self._kind, reference))


def normalised(path: str) -> str:
    """A path in a file system or archive as "/a/b" (no "." or "..", never above "/")."""
    return posixpath.normpath("/" + path.replace("\\", "/").lstrip("/"))
