"""The fake SQL warehouse: the two kinds of statement the REST API cannot replace.

``CREATE [OR REPLACE] TABLE [IF NOT EXISTS] cat.sch.tbl (col TYPE [NOT NULL] [COMMENT '...'],
...) [COMMENT '...']`` makes a managed Delta table, and ``COMMENT ON TABLE|SCHEMA|DATABASE|
CATALOG name IS '...'|NULL`` sets or removes a comment. Both are read with sqlglot's
Databricks dialect (``COMMENT ON`` from its tokens, because the parser knows neither
``IS NULL`` nor ``CATALOG`` there). Anything else fails, saying the fake does not run it.

Failures carry Databricks' error class in the message and its SQLSTATE, which is what a
client should branch on: the Statement Execution API reports them as state FAILED in an
HTTP 200, not as HTTP errors.
"""

from __future__ import annotations

from sqlglot import Token, TokenType, exp, parse
from sqlglot.dialects.databricks import Databricks
from sqlglot.errors import ParseError, TokenError

from tests.catalog.fake_unity.column_types import UnsupportedType, describe
from tests.catalog.fake_unity.state import Column, Kind, MutableSecurable, UnityState

_COMMENT_KINDS = {"TABLE": Kind.TABLE, "SCHEMA": Kind.SCHEMA, "DATABASE": Kind.SCHEMA,
                  "CATALOG": Kind.CATALOG}  # fmt: skip


class StatementFailed(Exception):
    def __init__(self, message: str, sql_state: str) -> None:
        super().__init__(message)
        self.message = message
        self.sql_state = sql_state


def run_statement(state: UnityState, sql: str, catalog: str, schema: str) -> None:
    """Run ``sql`` against the metastore; ``catalog``/``schema`` complete short names."""
    try:
        tokens = Databricks().tokenize(sql)
    except TokenError as exc:
        raise _syntax_error(str(exc)) from None
    words = [t.text.upper() for t in tokens[:2]]
    if words == ["COMMENT", "ON"]:
        _comment_on(state, tokens, catalog, schema)
        return
    try:
        trees = [tree for tree in parse(sql, read="databricks") if tree is not None]
    except ParseError as exc:
        raise _syntax_error(str(exc).splitlines()[0]) from None
    if len(trees) != 1:
        raise _syntax_error(f"expected one statement, got {len(trees)}")
    tree = trees[0]
    if (
        isinstance(tree, exp.Create)
        and str(tree.args.get("kind", "")).upper() == "TABLE"
        and isinstance(tree.this, exp.Schema)
        and tree.expression is None
    ):
        _create_table(state, tree, catalog, schema)
        return
    raise StatementFailed(
        "[FAKE_UNSUPPORTED_STATEMENT] The fake Unity Catalog warehouse runs only CREATE TABLE "
        f"with a column list and COMMENT ON TABLE|SCHEMA|CATALOG, not: {tree.key.upper()}.",
        "0A000",
    )


# CREATE TABLE -----------------------------------------------------------------------
def _create_table(state: UnityState, tree: exp.Create, catalog: str, schema: str) -> None:
    target = tree.this.this
    assert isinstance(target, exp.Table)
    parts = [target.catalog or catalog, target.db or schema, target.name]
    full_name = ".".join(parts).lower()
    parent = _existing(state, Kind.SCHEMA, ".".join(parts[:2]))
    columns = _columns(tree.this)
    comment = tree.find(exp.SchemaCommentProperty)
    table_comment = comment.this.name if comment is not None else None
    existing = state.find(full_name)
    if existing is not None and tree.args.get("exists"):
        return
    if existing is not None and not tree.args.get("replace"):
        raise StatementFailed(
            f"[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table or view {_quoted(full_name)} "
            "because it already exists. Choose a different name, drop the existing object, add "
            "the IF NOT EXISTS clause to tolerate pre-existing objects, or add the OR REPLACE "
            "clause to replace it. SQLSTATE: 42P07",
            "42P07",
        )
    _check_may_change(state, existing or parent, "MODIFY" if existing else "CREATE TABLE")
    if existing is not None:
        existing.columns, existing.comment = columns, table_comment
        existing.touch(state.current_user, state.now())
        return
    state.add(Kind.TABLE, full_name, comment=table_comment, columns=columns)


def _columns(schema: exp.Schema) -> tuple[Column, ...]:
    columns: list[Column] = []
    for definition in schema.expressions:
        if not isinstance(definition, exp.ColumnDef):
            continue  # a table constraint (PRIMARY KEY ...) changes no column
        name = definition.name
        if name.lower() in {c.name.lower() for c in columns}:
            raise StatementFailed(
                f"[COLUMN_ALREADY_EXISTS] The column `{name}` already exists. Choose another "
                "name or rename the existing column. SQLSTATE: 42711",
                "42711",
            )
        kind = definition.args.get("kind")
        if not isinstance(kind, exp.DataType):
            raise _syntax_error(f"column {name} has no type")
        try:
            column_type = describe(kind)
        except UnsupportedType as exc:
            raise StatementFailed(
                f'[UNSUPPORTED_DATATYPE] Unsupported data type "{exc}". SQLSTATE: 0A000', "0A000"
            ) from None
        constraints = [c.args.get("kind") for c in definition.args.get("constraints") or ()]
        comment = next(
            (c.this.name for c in constraints if isinstance(c, exp.CommentColumnConstraint)), None
        )
        nullable = not any(isinstance(c, exp.NotNullColumnConstraint) for c in constraints)
        columns.append(Column(name, column_type, nullable, comment))
    return tuple(columns)


# COMMENT ON -------------------------------------------------------------------------
def _comment_on(state: UnityState, tokens: list[Token], catalog: str, schema: str) -> None:
    if len(tokens) < 4 or tokens[2].text.upper() not in _COMMENT_KINDS:
        raise _syntax_error("COMMENT ON needs TABLE, SCHEMA or CATALOG")
    kind = _COMMENT_KINDS[tokens[2].text.upper()]
    rest = [t for t in tokens[3:] if t.token_type != TokenType.SEMICOLON]
    verb = next((i for i, t in enumerate(rest) if t.token_type == TokenType.IS), None)
    if verb is None or verb + 2 != len(rest):
        raise _syntax_error("expected COMMENT ON <kind> <name> IS '<text>' | NULL")
    name_tokens, value = rest[:verb], rest[verb + 1]
    if value.token_type not in (TokenType.STRING, TokenType.NULL):
        raise _syntax_error(f"at or near '{value.text}': a comment is a string or NULL")
    parts = [t.text for t in name_tokens if t.token_type != TokenType.DOT]
    if len(name_tokens) != 2 * len(parts) - 1 or not parts:
        raise _syntax_error("a name is identifiers separated by dots")
    defaults = {Kind.TABLE: [catalog, schema], Kind.SCHEMA: [catalog], Kind.CATALOG: []}[kind]
    depth = {Kind.CATALOG: 1, Kind.SCHEMA: 2, Kind.TABLE: 3}[kind]
    full_parts = (defaults + parts)[-depth:] if len(parts) < depth else parts
    if len(full_parts) != depth:
        raise _syntax_error(f"{'.'.join(parts)} is not a {kind.value} name")
    target = _existing(state, kind, ".".join(full_parts))
    _check_may_change(state, target, "MODIFY")
    target.comment = (value.text or None) if value.token_type == TokenType.STRING else None
    target.touch(state.current_user, state.now())


# shared -----------------------------------------------------------------------------
def _existing(state: UnityState, kind: Kind, full_name: str) -> MutableSecurable:
    """The securable, or the statement error Databricks gives for its first missing part."""
    parts = full_name.lower().split(".")
    if state.find(parts[0]) is None:
        raise StatementFailed(
            f"[NO_SUCH_CATALOG_EXCEPTION] Catalog '{parts[0]}' was not found. Please verify the "
            "catalog name and then retry the query or command again. SQLSTATE: 42704",
            "42704",
        )
    if len(parts) > 1 and state.find(".".join(parts[:2])) is None:
        raise StatementFailed(
            f"[SCHEMA_NOT_FOUND] The schema {_quoted('.'.join(parts[:2]))} cannot be found. "
            "Verify the spelling and correctness of the schema and catalog. SQLSTATE: 42704",
            "42704",
        )
    found = state.find(full_name)
    if found is None:
        raise StatementFailed(
            f"[TABLE_OR_VIEW_NOT_FOUND] The table or view {_quoted(full_name)} cannot be found. "
            "Verify the spelling and correctness of the schema and catalog. SQLSTATE: 42P01",
            "42P01",
        )
    assert found.kind is kind
    return found


def _check_may_change(state: UnityState, target: MutableSecurable, privilege: str) -> None:
    if target.full_name in state.protected:
        raise StatementFailed(
            "[INSUFFICIENT_PERMISSIONS] Insufficient privileges:\nUser does not have "
            f"{privilege} on {target.kind.value.title()} '{target.full_name}'. SQLSTATE: 42501",
            "42501",
        )


def _quoted(full_name: str) -> str:
    return ".".join(f"`{part}`" for part in full_name.split("."))


def _syntax_error(detail: str) -> StatementFailed:
    return StatementFailed(f"[PARSE_SYNTAX_ERROR] Syntax error: {detail}. SQLSTATE: 42601", "42601")
