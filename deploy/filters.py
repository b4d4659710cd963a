"""`--include` / `--exclude`: which artifacts a plan or apply touches, as `type:name` patterns (`pipeline:pl_*`,
`trigger:*`, `*:ds_*`; a bare `pl_*` is any type). No include means everything; an exclude always wins. Orphans
obey the filter too: an apply never deletes an artifact outside it."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from deploy.publishers import KINDS, kind_named

Key = tuple[str, str]


class FilterError(ValueError):
    """A pattern naming a type the deployer does not know."""


@dataclass(frozen=True)
class Pattern:
    kind: str  # a kind or `*`
    name: str  # an fnmatch pattern

    @classmethod
    def parse(cls, text: str) -> Pattern:
        kind, sep, name = text.partition(":")
        if not sep:
            return cls("*", text)
        if kind in ("", "*"):
            return cls("*", name or "*")
        known = kind_named(kind)
        if known is None:
            raise FilterError(f"{text!r}: unknown type {kind!r}; expected one of {', '.join(KINDS)}")
        return cls(known, name or "*")

    def matches(self, key: Key) -> bool:
        return (self.kind in ("*", key[0])) and fnmatch.fnmatchcase(key[1], self.name)

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class Selection:
    include: tuple[Pattern, ...] = field(default_factory=tuple)
    exclude: tuple[Pattern, ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, include: tuple[str, ...] | list[str] = (), exclude: tuple[str, ...] | list[str] = ()) -> Selection:
        return cls(tuple(Pattern.parse(text) for text in include), tuple(Pattern.parse(text) for text in exclude))

    def __contains__(self, key: Key) -> bool:
        if self.include and not any(pattern.matches(key) for pattern in self.include):
            return False
        return not any(pattern.matches(key) for pattern in self.exclude)

    @property
    def everything(self) -> bool:
        return not self.include and not self.exclude

    def describe(self) -> str:
        parts = [f"include {', '.join(map(str, self.include))}" if self.include else "",
                 f"exclude {', '.join(map(str, self.exclude))}" if self.exclude else ""]
        return "; ".join(part for part in parts if part) or "everything"
