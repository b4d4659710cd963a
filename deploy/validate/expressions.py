"""A small reader for the pipeline expression language, enough to see what an expression refers to.

Where expressions are: a string value that starts with `@` is one expression (`@@` escapes a literal `@`); in
any other string, each `@{...}` is an interpolated expression. The grammar read here: function calls
`name(arg, ...)`, string literals in single quotes (`''` escapes a quote), numbers, `true`/`false`/`null`, and
property access `.name`, `['name']`, `[0]`, with the null-safe `?` before either.

What it reports (`uses`): `pipeline().parameters.X` / `['X']`, other `pipeline()` use, `variables('X')`,
`activity('X')`, `item()`, `dataset().X`, `linkedService().X`, `trigger()`. Function names compare case-
insensitively, parameter, variable and activity names exactly as written.

Limits: it does not type-check, does not know the function library (an unknown or misspelt function such as
`concatt(...)` is not reported, nor a wrong number of arguments), does not evaluate anything (a name built at run
time, `variables(concat('a', 'b'))`, is not checked), and treats `@@` only as an escape at the start of a value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[()\[\],.?])
""", re.VERBOSE)
KEYWORDS = {"true": True, "false": False, "null": None}


class ExpressionError(ValueError):
    """The text is not a well-formed expression."""


@dataclass(frozen=True)
class Literal:
    value: str | int | float | bool | None


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Access:
    """`target.key` or `target[key]`: the key is a Literal for `.name` and `['name']`."""

    target: Node
    key: Node


Node = Literal | Call | Access


@dataclass(frozen=True)
class Use:
    """One thing an expression refers to: `kind` is pipeline-parameter, pipeline, variable, activity, item,
    dataset-parameter, dataset, linkedService-parameter, linkedService or trigger; `name` when it has one."""

    kind: str
    name: str | None = None


def is_expression(value: object) -> bool:
    """A string evaluated by the service (`@...`, not the `@@` escape): its value is unknown until run time."""
    return isinstance(value, str) and value.startswith("@") and not value.startswith("@@")


def expressions_in(value: str) -> list[str]:
    """The expressions a string value holds: the whole value after `@`, or each `@{...}` of an interpolation."""
    if value.startswith("@@"):
        return []
    if value.startswith("@") and not value.startswith("@{"):
        return [value[1:]]
    found, start = [], value.find("@{")
    while start != -1:
        end = _closing_brace(value, start + 2)
        found.append(value[start + 2:end])
        start = value.find("@{", end + 1)
    return found


def _closing_brace(text: str, start: int) -> int:
    quoted = False
    for index in range(start, len(text)):
        if text[index] == "'":
            quoted = not quoted  # '' inside a literal toggles twice: still quoted
        elif text[index] == "}" and not quoted:
            return index
    raise ExpressionError("an @{ interpolation is not closed by }")


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ExpressionError(f"unexpected {text[position]!r} at character {position + 1}")
        if match.lastgroup != "space":
            tokens.append((match.lastgroup or "", match.group()))
        position = match.end()
    return tokens


def parse(text: str) -> Node:
    """The syntax tree of one expression (the text after `@`, or inside `@{...}`)."""
    parser = _Parser(tokenize(text))
    node = parser.expression()
    if parser.peek() is not None:
        raise ExpressionError(f"unexpected {parser.peek()!r} after a complete expression")
    return node


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.position = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise ExpressionError(f"the expression ends where {expected or 'more'!r} was expected")
        token = self.tokens[self.position]
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r}, found {token[1]!r}")
        self.position += 1
        return token

    def expression(self) -> Node:
        node = self.primary()
        while self.peek() in (".", "[", "?"):
            if self.peek() == "?":
                self.take("?")
            if self.take()[1] == ".":
                kind, name = self.take()
                if kind != "name":
                    raise ExpressionError(f"a property name is expected after '.', found {name!r}")
                node = Access(node, Literal(name))
            else:
                node = Access(node, self.expression())
                self.take("]")
        return node

    def primary(self) -> Node:
        kind, text = self.take()
        if kind == "string":
            return Literal(text[1:-1].replace("''", "'"))
        if kind == "number":
            return Literal(float(text) if "." in text else int(text))
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r}")
        if self.peek() != "(":
            if text.lower() in KEYWORDS:
                return Literal(KEYWORDS[text.lower()])
            raise ExpressionError(f"{text!r} is neither a function call nor a literal")
        self.take("(")
        args: list[Node] = []
        while self.peek() != ")":
            args.append(self.expression())
            if self.peek() != ")":
                self.take(",")
        self.take(")")
        return Call(text, tuple(args))


def uses(node: Node) -> Iterator[Use]:
    """What the expression refers to, outermost first."""
    if isinstance(node, Access):
        chain, base = _chain(node)
        use = _accessed(base, chain)
        if use is not None:
            yield use
            for key in chain:
                if not isinstance(key, Literal):
                    yield from uses(key)
            if isinstance(base, Call):
                for arg in base.args:
                    yield from uses(arg)
            return
        yield from uses(node.target)
        yield from uses(node.key)
    elif isinstance(node, Call):
        use = _called(node)
        if use is not None:
            yield use
        for arg in node.args:
            yield from uses(arg)


def _chain(node: Access) -> tuple[list[Node], Node]:
    """`a.b['c']` as (base a, keys [b, 'c'])."""
    keys: list[Node] = []
    current: Node = node
    while isinstance(current, Access):
        keys.insert(0, current.key)
        current = current.target
    return keys, current


def _key(node: Node | None) -> str | None:
    return node.value if isinstance(node, Literal) and isinstance(node.value, str) else None


def _accessed(base: Node, keys: list[Node]) -> Use | None:
    """`pipeline().parameters.X`, `dataset().X`, `linkedService().X` read through property access."""
    if not isinstance(base, Call) or base.args:
        return None
    function = base.name.lower()
    first = _key(keys[0]) if keys else None
    if function == "pipeline":
        if first == "parameters" and len(keys) > 1 and _key(keys[1]) is not None:
            return Use("pipeline-parameter", _key(keys[1]))
        return Use("pipeline")
    if function == "dataset":
        return Use("dataset-parameter", first) if first else Use("dataset")
    if function == "linkedservice":
        return Use("linkedService-parameter", first) if first else Use("linkedService")
    return None


def _called(call: Call) -> Use | None:
    function = call.name.lower()
    argument = _key(call.args[0]) if len(call.args) == 1 else None
    if function in ("variables", "activity"):
        return Use("variable" if function == "variables" else "activity", argument)
    if function in ("pipeline", "dataset", "item", "trigger"):
        return Use(function)
    if function == "linkedservice":
        return Use("linkedService")
    return None
