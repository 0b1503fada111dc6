"""The guard itself: parse, one statement, read-only root, whole-tree walk, tables, limit.

``check(sql, policy)`` returns a ``GuardVerdict`` whose ``sql`` is the exact text the
warehouse must run: the input unchanged, or with an over-large LIMIT brought down to
QUERY_MAX_ROWS (and then that rewritten text is checked again).
"""

from __future__ import annotations

import fnmatch
import logging
from dataclasses import dataclass
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.optimizer.scope import traverse_scope

from lakechat.sqlguard.errors import (
    GuardFunctionNotAllowed,
    GuardMultipleStatements,
    GuardParseError,
    GuardTableNotAllowed,
    GuardWriteNotAllowed,
)
from lakechat.sqlguard.rules import (
    ALLOWED_TABLE_FUNCTIONS,
    FORBIDDEN_NODES,
    READ_ONLY_ROOTS,
    SAFE_FUNCTIONS,
    function_name,
)

# sqlglot warns on stderr whenever it falls back to a Command; the guard refuses those anyway
logging.getLogger("sqlglot").setLevel(logging.ERROR)

MAX_SQL_CHARS = 100_000


@dataclass(frozen=True)
class GuardPolicy:
    """What a caller may read, in which dialect, and how many rows at most."""

    dialect: str
    allowed_tables: tuple[str, ...]  # "catalog.schema.table" patterns, * and ? as wildcards
    max_rows: int


@dataclass(frozen=True)
class GuardVerdict:
    """A statement the guard let through."""

    sql: str
    statement_type: str
    tables: tuple[str, ...]
    limit_applied: bool


def check(sql: str, policy: GuardPolicy) -> GuardVerdict:
    """Let a read-only statement through, or raise the refusal that says why not."""
    text = sql.strip().rstrip(";").strip()
    if not text:
        raise GuardParseError("the statement is empty")
    if len(text) > MAX_SQL_CHARS:
        raise GuardParseError(
            f"the statement is {len(text):,} characters; the limit is {MAX_SQL_CHARS:,}"
        )
    tree = _parse_one(text, policy.dialect)
    inner = _explained(tree, policy.dialect)
    statement = inner if inner is not None else tree
    _check_root(statement)
    _check_nodes(statement)
    tables = _check_tables(statement, policy)
    final, limit_applied = text, False
    if isinstance(statement, exp.Query) and inner is None:
        final, limit_applied = _cap_limit(statement, text, policy)
        if limit_applied:  # the rewritten text is what runs: check it again
            rechecked = _parse_one(final, policy.dialect)
            _check_root(rechecked)
            _check_nodes(rechecked)
            _check_tables(rechecked, policy)
    kind = "explain" if inner is not None else type(statement).__name__.lower()
    return GuardVerdict(final, kind, tables, limit_applied)


def _parse_one(text: str, dialect: str) -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid SQL"
        raise GuardParseError(f"the statement is not valid {dialect} SQL: {first}") from None
    if not statements:
        raise GuardParseError("the statement is empty")
    if len(statements) > 1:
        raise GuardMultipleStatements(f"send one statement at a time ({len(statements)} were sent)")
    return cast(exp.Expression, statements[0])


def _explained(tree: exp.Expression, dialect: str) -> exp.Expression | None:
    """For EXPLAIN [ANALYZE] <query>, the query (sqlglot keeps EXPLAIN as a raw Command)."""
    if not isinstance(tree, exp.Command) or str(tree.this).upper() != "EXPLAIN":
        return None
    rest = (
        tree.expression.name
        if isinstance(tree.expression, exp.Literal)
        else str(tree.expression or "")
    )
    words = rest.split(None, 1)
    if words and words[0].upper() == "ANALYZE":
        rest = words[1] if len(words) > 1 else ""
    if not rest.strip():
        raise GuardParseError("EXPLAIN needs a query to explain")
    inner = _parse_one(rest, dialect)
    if _explained(inner, dialect) is not None:
        raise GuardParseError("EXPLAIN cannot explain another EXPLAIN")
    return inner


def _check_root(statement: exp.Expression) -> None:
    if isinstance(statement, exp.Show) and str(statement.this).upper().startswith("ALL"):
        raise GuardTableNotAllowed("SHOW ALL lists every catalog; name the objects you may read")
    if not isinstance(statement, READ_ONLY_ROOTS):
        kind = (
            str(statement.this).upper()
            if isinstance(statement, exp.Command)
            else statement.key.upper()
        )
        raise GuardWriteNotAllowed(
            f"only read-only queries may run (SELECT, WITH, VALUES, SHOW, DESCRIBE, EXPLAIN); this is {kind}"
        )


def _check_nodes(statement: exp.Expression) -> None:
    for node in statement.walk():
        if isinstance(node, FORBIDDEN_NODES):
            raise GuardWriteNotAllowed(
                f"{node.key.upper()} is not allowed anywhere in a statement: only reading is allowed"
            )
        if isinstance(node, exp.Func):  # anywhere: select list, FROM, LATERAL, WHERE, ...
            name = function_name(node)
            if name not in SAFE_FUNCTIONS:
                raise GuardFunctionNotAllowed(
                    f"{name}() is not among the functions lakechat allows (aggregates, window, "
                    "number, text, date and list functions); ones that can read files, run SQL "
                    "from text, change settings or write are never allowed"
                )
        if isinstance(node, exp.Table):
            source = node.this
            if isinstance(source, exp.Func) and not isinstance(source, ALLOWED_TABLE_FUNCTIONS):
                raise GuardFunctionNotAllowed(
                    f"reading from the table function {function_name(source)}() is not allowed"
                )
            if isinstance(source, exp.Literal) and source.is_string:
                raise GuardFunctionNotAllowed("reading a file by its path is not allowed")
            name = node.name
            if not node.args.get("db") and any(mark in name for mark in ("/", "\\", "*", "://")):
                raise GuardFunctionNotAllowed(f"reading the file {name!r} is not allowed")


#: Schemas never readable through raw SQL, whatever the allow-list's wildcards say.
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast"})


def _cte_references(statement: exp.Expression) -> set[int]:
    """The table nodes that name a CTE visible where they stand (by sqlglot's scopes).

    A CTE's name only shadows a table inside the query that defines it: the same name
    elsewhere in the statement is a real table and is checked like any other.
    """
    if not isinstance(statement, exp.Query) or statement.find(exp.CTE) is None:
        return set()  # no CTE anywhere: nothing can shadow a table, and scoping is skipped
    try:
        scopes = traverse_scope(statement)
    except Exception:  # a statement sqlglot cannot scope gets no CTE exemptions at all
        return set()
    references: set[int] = set()
    for scope in scopes:
        for table in scope.tables:
            if not table.args.get("db") and table.name in scope.cte_sources:
                references.add(id(table))
    return references


def _named_explicitly(full: str, policy: GuardPolicy) -> bool:
    """An engine's metadata schema is readable only through a pattern that names it.

    ``samples.*.*`` never reaches ``samples.information_schema``; a grant of
    ``system.information_schema.*`` (Databricks' governed metadata) does.
    """
    catalog, schema, _ = full.split(".", 2)
    return any(
        fnmatch.fnmatchcase(full, pattern.lower())
        and pattern.lower().split(".")[:2] == [catalog, schema]
        for pattern in policy.allowed_tables
    )


def _check_tables(statement: exp.Expression, policy: GuardPolicy) -> tuple[str, ...]:
    cte_references = _cte_references(statement)
    found: list[str] = []
    for table in statement.find_all(exp.Table):
        if isinstance(table.this, exp.Func) or id(table) in cte_references:
            continue  # generated rows (checked above), or a visible CTE
        name = table.name
        if not table.args.get("db") or not table.args.get("catalog"):
            raise GuardTableNotAllowed(
                f"name tables in full, as catalog.schema.table (got {table.sql(dialect=policy.dialect)!r})"
            )
        full = f"{table.catalog}.{table.db}.{name}".lower()
        if table.db.lower() in SYSTEM_SCHEMAS and not _named_explicitly(full, policy):
            raise GuardTableNotAllowed(f"system schemas cannot be read through SQL ({full})")
        if not any(fnmatch.fnmatchcase(full, pattern.lower()) for pattern in policy.allowed_tables):
            raise GuardTableNotAllowed(f"you may not read {full}")
        if full not in found:
            found.append(full)
    return tuple(sorted(found))


def _cap_limit(statement: exp.Query, text: str, policy: GuardPolicy) -> tuple[str, bool]:
    """Bring a LIMIT larger than QUERY_MAX_ROWS down to it; other statements are unchanged."""
    limit = statement.args.get("limit")
    if isinstance(limit, exp.Limit):
        key = "expression"
    elif isinstance(limit, exp.Fetch):  # FETCH FIRST n ROWS ONLY
        key = "count"
    else:
        return text, False
    value = limit.args.get(key)
    if isinstance(value, exp.Literal) and value.is_int and int(value.name) <= policy.max_rows:
        return text, False
    limit.set(key, exp.Literal.number(policy.max_rows))
    return statement.sql(dialect=policy.dialect), True
