"""`Registry[T]`: named extension points (containers, file systems, carvers, formats…).

Names are lower-case (`zip`, `ufdr`, `case-uco`); registering a name twice is an error;
built-ins register exactly as additions do. `describe()` feeds `dftriage formats`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
NAME = re.compile(r"^[a-z0-9][a-z0-9.+-]*$")


class Registry(Generic[T]):
    """Entries of one kind by name, in registration order, each with a one-line description."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._entries: dict[str, tuple[T, str]] = {}

    def add(self, name: str, entry: T, description: str) -> T:
        if not NAME.match(name):
            raise ValueError(f"{self.what} name {name!r}: expected lower-case letters and digits")
        if name in self._entries:
            raise ValueError(f"{self.what} {name!r} is already registered")
        self._entries[name] = (entry, description)
        return entry

    def decorator(self, name: str, description: str) -> Callable[[T], T]:
        """`@REGISTRY.decorator("zip", "…")` registers the decorated class or function."""
        return lambda entry: self.add(name, entry, description)

    def __getitem__(self, name: str) -> T:
        try:
            return self._entries[name][0]
        except KeyError:
            known = ", ".join(self._entries) or "none"
            raise KeyError(f"unknown {self.what} {name!r} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def items(self) -> Iterator[tuple[str, T]]:
        return ((name, entry) for name, (entry, _) in self._entries.items())

    def describe(self) -> list[tuple[str, str]]:
        """(name, description) of every entry, in registration order."""
        return [(name, description) for name, (_, description) in self._entries.items()]
