"""Expanding a container into child items, bounded like bulk_extractor and IPED.

Limits: nesting depth, members per container, bytes per member and per container, the
decompression-bomb ratio and a time limit. Each limit hit and each damaged or locked
part is an `ItemError` naming the container and the limit; what was listed before it
is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import (
    CONTAINERS,
    NO_SIBLINGS,
    ContainerOptions,
    Member,
    Problem,
    Siblings,
    build,
)
from scanner.evidence.streams import Stream
from scanner.lib.deadline import DeadlineExceeded, deadline
from scanner.types import FileItem, ItemError, Locator

log = logging.getLogger(__name__)
STAGE = "expand"


@dataclass
class Expansion:
    """The children of one container and what went wrong listing them."""

    kind: str
    children: list[FileItem] = field(default_factory=list)
    problems: list[ItemError] = field(default_factory=list)


def container_depth(locator: Locator) -> int:
    """How many containers `locator` passes through."""
    return sum(1 for kind, _ in locator.steps[1:] if kind in CONTAINERS)


def expand(
    kind: str,
    stream: Stream,
    parent: FileItem,
    options: ContainerOptions,
    seconds: float | None = None,
    siblings: Siblings = NO_SIBLINGS,
) -> Expansion:
    """List the members of `stream` (a container of `kind`) as items under `parent`;
    `siblings` are the other files of the parent's own file system, folder or archive."""
    result = Expansion(kind)
    where = str(parent.locator)
    if container_depth(parent.locator) >= options.max_depth:
        reason = f"{kind} not opened: nesting depth limit of {options.max_depth} reached"
        result.problems.append(ItemError(where, STAGE, reason))
        return result
    limit = options.max_seconds if seconds is None else seconds
    try:
        with deadline(limit):
            for entry in _bounded(kind, stream, options, result, where, siblings):
                result.children.append(_child(parent, kind, entry))
    except DeadlineExceeded:
        result.problems.append(
            ItemError(where, STAGE, f"{kind}: time limit of {limit:g} s reached while listing")
        )
    if not result.children and not result.problems:
        result.problems.append(ItemError(where, STAGE, f"{kind}: no files in it"))
    if len(result.problems) > 1:  # one row per container and stage: every reason in it
        reasons = "; ".join(problem.reason for problem in result.problems)
        result.problems[:] = [ItemError(where, STAGE, reasons)]
    return result


def _bounded(
    kind: str,
    stream: Stream,
    options: ContainerOptions,
    result: Expansion,
    where: str,
    siblings: Siblings,
) -> Iterator[Member]:
    total = 0
    bomb = options.bomb_limit(stream.size)
    for entry in _entries(kind, stream, options, siblings):
        if isinstance(entry, Problem):
            result.problems.append(ItemError(where, STAGE, f"{kind}: {entry.reason}"))
            if entry.fatal:
                return
            continue
        if len(result.children) >= options.max_members:
            result.problems.append(
                ItemError(where, STAGE, f"{kind}: member limit of {options.max_members} reached")
            )
            return
        if entry.size > options.max_member_bytes:
            reason = (
                f"{kind}: member {entry.path!r} of {entry.size} bytes is over the limit of"
                f" {options.max_member_bytes} bytes: not read"
            )
            result.problems.append(ItemError(where, STAGE, reason))
            continue
        total += entry.size
        if total > bomb:
            reason = (
                f"{kind}: members add up to more than {bomb} bytes from {stream.size}"
                f" (ratio limit {options.max_ratio}x, container limit {options.max_bytes}):"
                " a decompression bomb? listing stopped"
            )
            result.problems.append(ItemError(where, STAGE, reason))
            return
        yield entry


def _entries(
    kind: str, stream: Stream, options: ContainerOptions, siblings: Siblings
) -> Iterator[Member | Problem]:
    """The container's own listing; a failure to open or to go on becomes a Problem."""
    try:
        container = build(kind, stream, options, siblings)
        yield from container.members()
    except DeadlineExceeded:
        raise
    except (EvidenceError, OSError, ValueError, EOFError) as exc:
        yield Problem(_reason(exc), fatal=True)
    except Exception as exc:  # noqa: BLE001 - a hostile container must not stop the scan
        log.debug("listing %s failed", kind, exc_info=True)
        yield Problem(f"unexpected {type(exc).__name__}: {_reason(exc)}", fatal=True)


def _child(parent: FileItem, kind: str, member: Member) -> FileItem:
    path = parent.path.rstrip("/")
    if member.path:
        path = f"{path}/{member.path.lstrip('/')}"
    return FileItem(
        locator=parent.locator.child(kind, member.value),
        path=path or "/",
        size=member.size,
        deleted=parent.deleted or member.deleted,
        times=member.times,
        origin=member.origin,
    )


def _reason(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return " ".join(line.strip() for line in lines)[:300] or type(exc).__name__
