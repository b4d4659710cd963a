"""The Synapse dedicated SQL pool dialect: sqlglot's T-SQL dialect plus the pool's physical table options.

sqlglot's T-SQL parser does not know a dedicated pool's `CREATE TABLE ... WITH (...)` options; this subclass
parses them into typed properties, so a linter can read a table's distribution, index and partitioning from
the AST, and generating T-SQL gives them back:

    DISTRIBUTION = HASH(col [, col ...]) | ROUND_ROBIN | REPLICATE      -> DistributionProperty
    HEAP                                                              -> exp.HeapProperty
    CLUSTERED COLUMNSTORE INDEX [ORDER (col, ...)]                     -> ColumnstoreIndexProperty
    CLUSTERED INDEX (col [ASC|DESC], ...)                              -> ClusteredIndexProperty
    PARTITION (col RANGE [LEFT|RIGHT] FOR VALUES (v, ...))             -> PartitionRangeProperty

`to_duckdb` transpiles for the local warehouse, where none of these mean anything: it removes exactly these
properties (the `PHYSICAL` tuple) and nothing else, so any other option reaching DuckDB is a visible error, and
maps T-SQL's BIT (a boolean) to BOOLEAN.
"""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp, parse
from sqlglot.dialects.tsql import TSQL
from sqlglot.generator import Generator
from sqlglot.generators.tsql import TSQLGenerator
from sqlglot.parsers.tsql import TSQLParser
from sqlglot.tokens import TokenType

DISTRIBUTIONS = ("HASH", "ROUND_ROBIN", "REPLICATE")


class DistributionProperty(exp.Property):
    """`kind` is HASH, ROUND_ROBIN or REPLICATE; `expressions` the hash columns (one or more)."""

    arg_types: ClassVar[dict[str, bool]] = {"kind": True, "expressions": False}


class ColumnstoreIndexProperty(exp.Property):
    """A clustered columnstore index; `expressions` the ORDER columns of an ordered one."""

    arg_types: ClassVar[dict[str, bool]] = {"expressions": False}


class ClusteredIndexProperty(exp.Property):
    arg_types: ClassVar[dict[str, bool]] = {"expressions": True}


class PartitionRangeProperty(exp.Property):
    """`this` the partition column, `side` LEFT or RIGHT, `expressions` the boundary values."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "side": False, "expressions": True}


PHYSICAL = (DistributionProperty, ColumnstoreIndexProperty, ClusteredIndexProperty, PartitionRangeProperty,
            exp.HeapProperty)


class SynapseParser(TSQLParser):
    PROPERTY_PARSERS: ClassVar[dict] = {
        **TSQLParser.PROPERTY_PARSERS,
        "DISTRIBUTION": lambda self: self._parse_distribution(),
        "CLUSTERED": lambda self: self._parse_columnstore(),
        # T-SQL's tokenizer reads CLUSTERED INDEX as one token
        "CLUSTERED INDEX": lambda self: self.expression(
            ClusteredIndexProperty(expressions=self._parse_wrapped_csv(self._parse_ordered))),
        "PARTITION": lambda self: self._parse_partition_range(),
    }

    def _parse_distribution(self) -> DistributionProperty:
        self._match(TokenType.EQ)
        if not self._match_texts(DISTRIBUTIONS):
            self.raise_error(f"Expected one of {', '.join(DISTRIBUTIONS)} after DISTRIBUTION =")
        kind = self._prev.text.upper()
        columns = self._parse_wrapped_csv(self._parse_column) if kind == "HASH" else None
        return self.expression(DistributionProperty(kind=kind, expressions=columns))

    def _parse_columnstore(self) -> ColumnstoreIndexProperty:
        if not self._match_text_seq("COLUMNSTORE", "INDEX"):
            self.raise_error("Expected COLUMNSTORE INDEX or INDEX after CLUSTERED")
        order = self._parse_wrapped_csv(self._parse_column) if self._match_text_seq("ORDER") else None
        return self.expression(ColumnstoreIndexProperty(expressions=order))

    def _parse_partition_range(self) -> PartitionRangeProperty:
        self._match_l_paren()
        column = self._parse_column()
        if not self._match_text_seq("RANGE"):
            self.raise_error("Expected RANGE in a PARTITION table option")
        side = self._prev.text.upper() if self._match_texts(("LEFT", "RIGHT")) else None
        if not self._match_text_seq("FOR", "VALUES"):
            self.raise_error("Expected FOR VALUES in a PARTITION table option")
        boundaries = self._parse_wrapped_csv(self._parse_bitwise)
        self._match_r_paren()
        return self.expression(PartitionRangeProperty(this=column, side=side, expressions=boundaries))


def _distribution(generator: TSQLGenerator, expression: DistributionProperty) -> str:
    kind = expression.args["kind"]
    columns = f"({generator.expressions(expression, flat=True)})" if kind == "HASH" else ""
    return f"DISTRIBUTION = {kind}{columns}"


def _columnstore(generator: TSQLGenerator, expression: ColumnstoreIndexProperty) -> str:
    order = f" ORDER ({generator.expressions(expression, flat=True)})" if expression.expressions else ""
    return f"CLUSTERED COLUMNSTORE INDEX{order}"


def _clustered_index(generator: TSQLGenerator, expression: ClusteredIndexProperty) -> str:
    return f"CLUSTERED INDEX ({generator.expressions(expression, flat=True)})"


def _partition_range(generator: TSQLGenerator, expression: PartitionRangeProperty) -> str:
    side = f" {expression.args['side']}" if expression.args.get("side") else ""
    return (f"PARTITION ({generator.sql(expression, 'this')} RANGE{side} FOR VALUES "
            f"({generator.expressions(expression, flat=True)}))")


class SynapseGenerator(TSQLGenerator):
    TRANSFORMS: ClassVar[dict] = {
        **TSQLGenerator.TRANSFORMS,
        DistributionProperty: _distribution,
        ColumnstoreIndexProperty: _columnstore,
        ClusteredIndexProperty: _clustered_index,
        PartitionRangeProperty: _partition_range,
    }
    PROPERTIES_LOCATION: ClassVar[dict] = {
        **TSQLGenerator.PROPERTIES_LOCATION,
        **dict.fromkeys(PHYSICAL, exp.Properties.Location.POST_WITH),
    }

    def create_sql(self, expression: exp.Create) -> str:
        """A dedicated pool has CREATE TABLE AS SELECT (with its options); SQL Server's dialect would rewrite it
        as SELECT INTO."""
        if expression.kind == "TABLE" and isinstance(expression.expression, exp.Query):
            return self.prepend_ctes(expression, Generator.create_sql(self, expression))
        return super().create_sql(expression)


class Synapse(TSQL):
    """Registered with sqlglot as `synapse`: `sqlglot.parse_one(sql, read="synapse")`."""

    Parser = SynapseParser
    Generator = SynapseGenerator


def physical_options(create: exp.Create) -> list[exp.Property]:
    """A CREATE statement's Synapse physical options, in the order written."""
    properties = create.args.get("properties")
    return [p for p in (properties.expressions if properties else []) if isinstance(p, PHYSICAL)]


def to_duckdb(sql: str) -> list[str]:
    """Each statement as DuckDB SQL, with the pool's physical table options removed (they describe storage on
    60 distributions, which a single-file DuckDB database does not have)."""
    statements = []
    for statement in parse(sql, read=Synapse):
        if statement is None:
            continue
        for option in list(statement.find_all(*PHYSICAL)):
            option.pop()
        for bit in list(statement.find_all(exp.DataType)):
            if bit.this == exp.DataType.Type.BIT:  # T-SQL's BIT is a boolean; DuckDB's BIT is a bit string
                bit.replace(exp.DataType.build("BOOLEAN"))
        properties = statement.args.get("properties")
        if isinstance(properties, exp.Properties) and not properties.expressions:
            properties.pop()
        statements.append(statement.sql("duckdb"))
    return statements
