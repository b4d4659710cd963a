"""A small DAX reference scanner: which tables, columns and measures an expression names, without evaluating it.

    'Table Name'[Column]   Table[Column]     a qualified reference: a column (or, against BPA advice, a measure)
    [Name]                                   an unqualified reference: a measure (or a column in row context)
    'Table Name'   Table                     a table (an identifier that is not a function, keyword or variable)

Strings, comments (`//`, `--`, `/* */`) and `VAR` names are skipped, so `"[not a ref]"` or a variable called like
a table is not reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""(?P<comment>//[^\n]*|--[^\n]*|/\*.*?\*/)
      | (?P<string>"(?:[^"]|"")*")
      | (?P<quoted>'(?:[^']|'')*')
      | (?P<bracket>\[(?:[^\]]|\]\])*\])
      | (?P<word>[A-Za-z_][\w.]*)
      | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
      | (?P<space>\s+)
      | (?P<other>.)""",
    re.VERBOSE | re.DOTALL)

# Words that are neither functions (those are followed by `(`) nor tables: keywords, data types of CONVERT and
# DATATABLE, sort orders and the window functions' parameters.
KEYWORDS = {
    "VAR", "RETURN", "DEFINE", "EVALUATE", "MEASURE", "COLUMN", "TABLE", "ORDER", "BY", "START", "AT", "ASC", "DESC",
    "IN", "NOT", "AND", "OR", "TRUE", "FALSE", "BLANK", "CURRENCY", "INTEGER", "INT64", "DOUBLE", "STRING",
    "BOOLEAN", "DATETIME", "DECIMAL", "REAL", "VARIANT", "NUMERIC", "ABS", "REL", "SKIP", "DENSE", "BLANKS", "FIRST",
    "LAST", "DEFAULT", "KEEP", "PARTITIONBY", "ORDERBY", "MATCHBY", "WITH", "CALCULATIONGROUP", "FUNCTION",
}


@dataclass(frozen=True)
class Reference:
    """`table` is None for an unqualified `[name]`; `name` is None for a bare table reference."""

    table: str | None
    name: str | None
    offset: int

    @property
    def text(self) -> str:
        plain = self.table is not None and re.fullmatch(r"[A-Za-z_]\w*", self.table)
        table = "" if self.table is None else self.table if plain else "'" + self.table.replace("'", "''") + "'"
        return table + (f"[{self.name}]" if self.name is not None else "")


def _tokens(expression: str) -> list[tuple[str, str, int]]:
    return [(m.lastgroup or "", m.group(0), m.start()) for m in _TOKEN.finditer(expression)
            if m.lastgroup not in {"space", "comment"}]


def references(expression: str) -> list[Reference]:
    """Every table, column and measure reference in a DAX expression, in order."""
    tokens = _tokens(expression)
    variables = {tokens[k + 1][1].upper() for k, (kind, text, _) in enumerate(tokens[:-1])
                 if kind == "word" and text.upper() == "VAR" and tokens[k + 1][0] == "word"}
    found: list[Reference] = []
    k = 0
    while k < len(tokens):
        kind, text, offset = tokens[k]
        following = tokens[k + 1] if k + 1 < len(tokens) else ("", "", 0)
        if kind == "bracket":
            found.append(Reference(None, _unbracket(text), offset))
        elif kind in {"quoted", "word"}:
            table = text[1:-1].replace("''", "'") if kind == "quoted" else text
            if following[0] == "bracket":
                found.append(Reference(table, _unbracket(following[1]), offset))
                k += 2
                continue
            is_name = kind == "quoted" or (following[1] != "(" and table.upper() not in KEYWORDS
                                           and table.upper() not in variables and "." not in table)
            if is_name:
                found.append(Reference(table, None, offset))
        k += 1
    return found


def _unbracket(text: str) -> str:
    return text[1:-1].replace("]]", "]")


def uses_division_operator(expression: str) -> bool:
    """Whether the expression divides with `/` (outside strings and comments) rather than DIVIDE."""
    return any(kind == "other" and text == "/" for kind, text, _ in _tokens(expression))


def calls(expression: str) -> set[str]:
    """The functions an expression calls (upper case)."""
    tokens = _tokens(expression)
    return {text.upper() for k, (kind, text, _) in enumerate(tokens[:-1])
            if kind == "word" and tokens[k + 1][1] == "("}
