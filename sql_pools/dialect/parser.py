"""Parsing the pool's table options and statements on top of sqlglot's T-SQL parser."""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp
from sqlglot.parsers.tsql import TSQLParser
from sqlglot.tokens import TokenType

from sql_pools.dialect import expressions as nodes


class SynapseParser(TSQLParser):
    PROPERTY_PARSERS: ClassVar[dict] = {
        **TSQLParser.PROPERTY_PARSERS,
        "DISTRIBUTION": lambda self: self._parse_distribution(),
        "CLUSTERED": lambda self: self._parse_columnstore(),
        # T-SQL's tokenizer reads CLUSTERED INDEX as one token
        "CLUSTERED INDEX": lambda self: self.expression(
            nodes.ClusteredIndexProperty(expressions=self._parse_wrapped_csv(self._parse_ordered))),
        "PARTITION": lambda self: self._parse_partition_range(),
    }

    ALTER_PARSERS: ClassVar[dict] = {
        **TSQLParser.ALTER_PARSERS,
        "ALTER": lambda self: self._parse_column_mask() or TSQLParser._parse_alter_table_alter(self),
        "SWITCH": lambda self: self._parse_switch(),
        "SPLIT": lambda self: self._parse_range_boundary("SPLIT"),
        "MERGE": lambda self: self._parse_range_boundary("MERGE"),
    }

    def _parse_statement(self) -> exp.Expr | None:
        """The pool's own statements first; everything else as T-SQL."""
        if self._match_text_seq("RENAME", "OBJECT"):
            self._match(TokenType.DCOLON)
            table = self._parse_table_parts()
            self._match_text_seq("TO")
            return self.expression(nodes.RenameObject(this=table, to=self._parse_id_var()))
        if self._match_text_seq("UPDATE", "STATISTICS"):
            table = self._parse_table_parts(schema=True)
            names = self._parse_wrapped_csv(self._parse_id_var) if self._match(TokenType.L_PAREN,
                                                                                 advance=False) else None
            return self.expression(nodes.UpdateStatistics(this=table, expressions=names))
        for kind in ("GROUP", "CLASSIFIER"):
            if self._match_text_seq("CREATE", "WORKLOAD", kind):
                name = self._parse_id_var()
                self._match(TokenType.WITH)
                return self.expression(nodes.Workload(kind=kind, this=name,
                                                expressions=self._parse_wrapped_csv(self._parse_option)))
        if self._match_text_seq("THROW"):
            arguments = self._parse_csv(self._parse_bitwise) if self._curr and self._curr.token_type not in (
                TokenType.SEMICOLON, TokenType.END) else []
            return self.expression(nodes.Throw(expressions=arguments))
        if self._match_text_seq("CREATE", "SECURITY", "POLICY"):
            return self._parse_security_policy()
        for kind in (("SECURITY", "POLICY"), ("WORKLOAD", "GROUP"), ("WORKLOAD", "CLASSIFIER")):
            if self._match_text_seq("DROP", *kind):
                exists = self._match_text_seq("IF", "EXISTS")
                return self.expression(nodes.DropPoolObject(kind=" ".join(kind), this=self._parse_table_parts(),
                                                            exists=exists or None))
        if self._match_texts(("GRANT", "DENY", "REVOKE")):
            return self._parse_permission(self._prev.text.upper())
        if self._match_text_seq("CREATE", "ROLE"):
            return self.expression(nodes.CreateRole(this=self._parse_id_var()))
        if self._match_text_seq("ALTER", "ROLE"):
            role = self._parse_id_var()
            if not self._match_texts(("ADD", "DROP")):
                self.raise_error("Expected ADD MEMBER or DROP MEMBER")
            action = self._prev.text.upper()
            self._match_text_seq("MEMBER")
            return self.expression(nodes.RoleMember(this=role, action=action, member=self._parse_id_var()))
        if self._match_text_seq("CREATE", "STATISTICS"):
            name = self._parse_id_var()
            self._match(TokenType.ON)
            table = self._parse_table_parts(schema=True)
            columns = self._parse_wrapped_csv(self._parse_id_var)
            with_ = self._parse_var(any_token=True) if self._match(TokenType.WITH) else None
            return self.expression(nodes.CreateStatistics(this=name, table=table, expressions=columns, with_=with_))
        if self._match_text_seq("ALTER", "DATABASE"):
            database = self._parse_id_var()
            self._match(TokenType.SET)
            option = self._parse_var(any_token=True)
            return self.expression(nodes.AlterDatabaseSet(this=database, option=option,
                                                    value=self._parse_var(any_token=True)))
        return super()._parse_statement()

    def _parse_primary_key(self, wrapped_optional: bool = False, in_props: bool = False,
                           named_primary_key: bool = False) -> exp.PrimaryKeyColumnConstraint | exp.PrimaryKey:
        """T-SQL's parser stops at NONCLUSTERED and NOT ENFORCED; keep both (the only key form a pool takes)."""
        clustered = self._prev.text.upper() if self._match_texts(("CLUSTERED", "NONCLUSTERED")) else None
        key = super()._parse_primary_key(wrapped_optional, in_props, named_primary_key)
        node = nodes.PrimaryKey if isinstance(key, exp.PrimaryKey) else nodes.PrimaryKeyColumnConstraint
        return self.expression(node(**key.args, clustered=clustered))

    def _parse_merge(self) -> exp.Merge:
        merge = super()._parse_merge()
        return self.expression(nodes.Merge(**merge.args, options=self._parse_options()))

    def _parse_if(self) -> exp.IfBlock:
        """IF condition branch [ELSE branch]; T-SQL's parser would let a BEGIN ... END branch run on to the end
        of the batch, taking the statements after END into the IF."""
        # not _parse_condition: it takes a trailing word as an alias (`IF x IS NULL THROW ...`, `... EXEC ...`)
        condition = self._parse_wrapped(parse_method=self._parse_assignment, optional=True)
        true = self._parse_branch()
        false = self._parse_branch() if self._match(TokenType.ELSE) else None
        return self.expression(exp.IfBlock(this=condition, true=true, false=false))

    def _parse_branch(self) -> exp.Expr | None:
        """BEGIN statement; ... END (the statements may span `;`-separated chunks), or a single statement."""
        if not self._match(TokenType.BEGIN):
            return self._parse_statement()
        statements = []
        while not self._match(TokenType.END):
            if self._curr:
                statements.append(self._parse_statement())
            elif self._chunk_index < len(self._chunks):
                self._advance_chunk()
            else:
                self.raise_error("BEGIN without END")
        return self.expression(exp.Block(expressions=statements, begin=True))

    def _parse_permission(self, action: str) -> nodes.Permission:
        """`this` is None for a database-level permission (GRANT UNMASK TO role)."""
        privileges = self._parse_csv(self._parse_privilege)
        kind = securable = columns = None
        if self._match(TokenType.ON):
            kind = self._prev.text.upper() if self._match_texts(("SCHEMA", "OBJECT")) else None
            if kind:
                self._match(TokenType.DCOLON)
            securable = self._parse_table_parts(schema=True)
            if self._match(TokenType.L_PAREN, advance=False):
                columns = self._parse_wrapped_csv(self._parse_id_var)
        if not self._match_texts(("TO", "FROM")):
            self.raise_error(f"Expected TO or FROM in {action}")
        principals = self._parse_csv(self._parse_id_var)
        return self.expression(nodes.Permission(action=action, privileges=privileges, kind=kind, this=securable,
                                          columns=columns, principals=principals))

    def _parse_privilege(self) -> exp.Var:
        """One privilege: its words up to the next comma or ON (SELECT, EXECUTE, VIEW DEFINITION, ...)."""
        words = []
        while self._curr and self._curr.token_type not in (TokenType.COMMA, TokenType.ON) \
                and self._curr.text.upper() not in ("TO", "FROM"):
            words.append(self._curr.text.upper())
            self._advance()
        if not words:
            self.raise_error("Expected a privilege")
        return exp.Var(this=" ".join(words))

    def _parse_column_mask(self) -> nodes.ColumnMask | None:
        index = self._index
        if self._match_text_seq("COLUMN"):
            column = self._parse_id_var()
            if self._match_text_seq("ADD", "MASKED", "WITH"):
                options = self._parse_wrapped_csv(self._parse_option)
                function = next((o.args["value"] for o in options if o.this.name.upper() == "FUNCTION"), None)
                if function is None:
                    self.raise_error("ADD MASKED needs WITH (FUNCTION = '...')")
                return self.expression(nodes.ColumnMask(this=column, function=function))
            if self._match_text_seq("DROP", "MASKED"):
                return self.expression(nodes.ColumnMask(this=column))
        self._retreat(index)
        return None

    def _parse_option(self) -> exp.Property:
        """name = value, the value a literal, a name, or a parenthesised option list."""
        key = self._parse_var(any_token=True)
        self._match(TokenType.EQ)
        value = (self.expression(exp.Tuple(expressions=self._parse_wrapped_csv(self._parse_option)))
                 if self._match(TokenType.L_PAREN, advance=False)
                 else self._parse_primary() or self._parse_var(any_token=True))
        return self.expression(exp.Property(this=key, value=value))

    def _parse_security_policy(self) -> nodes.SecurityPolicy:
        name = self._parse_table_parts()
        predicates = []
        while self._match_text_seq("ADD"):
            if not self._match_texts(("FILTER", "BLOCK")):
                self.raise_error("Expected FILTER or BLOCK PREDICATE")
            kind = self._prev.text.upper()
            self._match_text_seq("PREDICATE")
            function = self._parse_function() or self._parse_column()
            self._match(TokenType.ON)
            predicates.append(self.expression(nodes.SecurityPredicate(kind=kind, this=function,
                                                                table=self._parse_table_parts())))
            self._match(TokenType.COMMA)
        if not predicates:
            self.raise_error("A security policy needs at least one ADD ... PREDICATE")
        options = self._parse_wrapped_csv(self._parse_option) if self._match(TokenType.WITH) else None
        return self.expression(nodes.SecurityPolicy(this=name, expressions=predicates, options=options))

    def _parse_switch(self) -> nodes.SwitchPartition:
        partition = self._parse_number() if self._match_text_seq("PARTITION") else None
        self._match_text_seq("TO")
        target = self._parse_table_parts()
        to_partition = self._parse_number() if self._match_text_seq("PARTITION") else None
        options = self._parse_wrapped_csv(self._parse_option) if self._match(TokenType.WITH) else None
        return self.expression(nodes.SwitchPartition(partition=partition, to=target, to_partition=to_partition,
                                               options=options))

    def _parse_range_boundary(self, kind: str) -> nodes.RangeBoundary:
        if not self._match_text_seq("RANGE"):
            self.raise_error(f"Expected RANGE after {kind}")
        return self.expression(nodes.RangeBoundary(kind=kind, this=self._parse_wrapped(self._parse_bitwise)))

    def _parse_distribution(self) -> nodes.DistributionProperty:
        self._match(TokenType.EQ)
        if not self._match_texts(nodes.DISTRIBUTIONS):
            self.raise_error(f"Expected one of {', '.join(nodes.DISTRIBUTIONS)} after DISTRIBUTION =")
        kind = self._prev.text.upper()
        columns = self._parse_wrapped_csv(self._parse_column) if kind == "HASH" else None
        return self.expression(nodes.DistributionProperty(kind=kind, expressions=columns))

    def _parse_columnstore(self) -> nodes.ColumnstoreIndexProperty:
        if not self._match_text_seq("COLUMNSTORE", "INDEX"):
            self.raise_error("Expected COLUMNSTORE INDEX or INDEX after CLUSTERED")
        order = self._parse_wrapped_csv(self._parse_column) if self._match_text_seq("ORDER") else None
        return self.expression(nodes.ColumnstoreIndexProperty(expressions=order))

    def _parse_partition_range(self) -> nodes.PartitionRangeProperty:
        self._match_l_paren()
        column = self._parse_column()
        if not self._match_text_seq("RANGE"):
            self.raise_error("Expected RANGE in a PARTITION table option")
        side = self._prev.text.upper() if self._match_texts(("LEFT", "RIGHT")) else None
        if not self._match_text_seq("FOR", "VALUES"):
            self.raise_error("Expected FOR VALUES in a PARTITION table option")
        boundaries = self._parse_wrapped_csv(self._parse_bitwise)
        self._match_r_paren()
        return self.expression(nodes.PartitionRangeProperty(this=column, side=side, expressions=boundaries))
