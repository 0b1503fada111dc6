"""Catalog changes: each is one Databricks SQL statement and the databricks-sdk call it maps to.

A change is checked when it is built (names, privileges, principals' spelling, column
types), so a proposal only ever holds statements that can be run. ``parse_change`` reads the
API's JSON shape: ``{"action": "grant", "name": "main.sales", "principal": "analysts",
"privileges": ["USE_SCHEMA", "SELECT"]}``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.databricks import Databricks
from sqlglot.errors import ParseError

from lakechat.catalog.names import (
    ObjectName,
    Securable,
    parse_securable,
    principal_name,
    privilege,
    sql_privilege,
)
from lakechat.errors import BadRequest

_KEYWORDS = {k.upper() for k in Databricks.Tokenizer.KEYWORDS}
_SDK_TAG_ENTITY = {Securable.CATALOG: "catalogs", Securable.SCHEMA: "schemas", Securable.TABLE: "tables"}  # fmt: skip
_SDK_API = {Securable.CATALOG: "catalogs", Securable.SCHEMA: "schemas", Securable.TABLE: "tables"}


def quoted(name: ObjectName) -> str:
    """A name as Databricks SQL writes it; a part that is a keyword gets backticks."""
    return ".".join(f"`{p}`" if p.upper() in _KEYWORDS else p for p in name.parts)


def literal(text: str) -> str:
    return exp.Literal.string(text).sql(dialect="databricks")


def column_type(text: str) -> str:
    """A column type as Databricks SQL spells it (``int`` -> ``INT``); BadRequest otherwise."""
    try:
        built = exp.DataType.build(text.strip(), dialect="databricks")
    except (ParseError, ValueError):
        built = None
    if built is None or built.this == exp.DataType.Type.USERDEFINED or not text.strip():
        raise BadRequest(
            f"{text!r} is not a Databricks column type: use STRING, INT, BIGINT, DOUBLE, "
            "DECIMAL(p,s), DATE, TIMESTAMP, BOOLEAN, ARRAY<...>, MAP<...> or STRUCT<...>"
        )
    return built.sql(dialect="databricks")


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    comment: str | None = None

    def sql(self) -> str:
        part = ObjectName.parse(self.name).leaf
        text = f"{'`' + part + '`' if part.upper() in _KEYWORDS else part} {self.type}"
        return text + (f" COMMENT {literal(self.comment)}" if self.comment else "")


@dataclass(frozen=True)
class Change(ABC):
    """One statement of a proposal."""

    action: ClassVar[str]
    name: ObjectName

    @property
    def securable(self) -> Securable:
        return self.name.securable

    @abstractmethod
    def sql(self) -> str: ...

    @abstractmethod
    def sdk_call(self) -> str: ...

    @abstractmethod
    def describe(self) -> str: ...

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "securable": self.securable.value,
            "name": self.name.full_name,
            "sql": self.sql(),
            "sdk_call": self.sdk_call(),
            "description": self.describe(),
            **self._fields(),
        }

    def _fields(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class Create(Change):
    action: ClassVar[str] = "create"
    comment: str | None = None
    columns: tuple[ColumnSpec, ...] = ()

    def sql(self) -> str:
        kind = self.securable.value.upper()
        text = f"CREATE {kind} {quoted(self.name)}"
        if self.securable is Securable.TABLE:
            text += " (" + ", ".join(c.sql() for c in self.columns) + ")"
        return text + (f" COMMENT {literal(self.comment)}" if self.comment else "")

    def sdk_call(self) -> str:
        if self.securable is Securable.TABLE:
            return (
                f"w.statement_execution.execute_statement(warehouse_id, statement={self.sql()!r})"
            )
        comment = f", comment={self.comment!r}" if self.comment else ""
        if self.securable is Securable.CATALOG:
            return f"w.catalogs.create(name={self.name.leaf!r}{comment})"
        return f"w.schemas.create(name={self.name.leaf!r}, catalog_name={self.name.catalog!r}{comment})"

    def describe(self) -> str:
        return f"create {self.securable.value} {self.name}"

    def _fields(self) -> dict[str, Any]:
        body: dict[str, Any] = {"comment": self.comment}
        if self.securable is Securable.TABLE:
            body["columns"] = [
                {"name": c.name, "type": c.type, "comment": c.comment} for c in self.columns
            ]
        return body


@dataclass(frozen=True)
class Drop(Change):
    action: ClassVar[str] = "drop"
    cascade: bool = False

    def sql(self) -> str:
        cascade = " CASCADE" if self.cascade and self.securable is not Securable.TABLE else ""
        return f"DROP {self.securable.value.upper()} {quoted(self.name)}{cascade}"

    def sdk_call(self) -> str:
        api = _SDK_API[self.securable]
        force = ", force=True" if self.cascade and self.securable is not Securable.TABLE else ""
        return f"w.{api}.delete({self.name.full_name!r}{force})"

    def describe(self) -> str:
        tail = (
            " and everything in it"
            if self.cascade and self.securable is not Securable.TABLE
            else ""
        )
        return f"drop {self.securable.value} {self.name}{tail}"

    def _fields(self) -> dict[str, Any]:
        return {"cascade": self.cascade}


@dataclass(frozen=True)
class SetComment(Change):
    action: ClassVar[str] = "set_comment"
    comment: str | None = None

    def sql(self) -> str:
        value = literal(self.comment) if self.comment else "NULL"
        return f"COMMENT ON {self.securable.value.upper()} {quoted(self.name)} IS {value}"

    def sdk_call(self) -> str:
        if self.securable is Securable.TABLE:
            return (
                f"w.statement_execution.execute_statement(warehouse_id, statement={self.sql()!r})"
            )
        return f"w.{_SDK_API[self.securable]}.update({self.name.full_name!r}, comment={self.comment or ''!r})"

    def describe(self) -> str:
        if not self.comment:
            return f"remove the comment of {self.securable.value} {self.name}"
        return f"set the comment of {self.securable.value} {self.name} to {self.comment!r}"

    def _fields(self) -> dict[str, Any]:
        return {"comment": self.comment}


@dataclass(frozen=True)
class SetTags(Change):
    action: ClassVar[str] = "set_tags"
    tags: tuple[tuple[str, str], ...] = ()

    def sql(self) -> str:
        pairs = ", ".join(f"{literal(k)} = {literal(v)}" for k, v in self.tags)
        return f"ALTER {self.securable.value.upper()} {quoted(self.name)} SET TAGS ({pairs})"

    def sdk_call(self) -> str:
        entity = _SDK_TAG_ENTITY[self.securable]
        return "; ".join(
            f"w.entity_tag_assignments.create(EntityTagAssignment(entity_type={entity!r}, "
            f"entity_name={self.name.full_name!r}, tag_key={k!r}, tag_value={v!r}))"
            for k, v in self.tags
        )

    def describe(self) -> str:
        tags = ", ".join(f"{k}={v}" if v else k for k, v in self.tags)
        return f"tag {self.securable.value} {self.name} with {tags}"

    def _fields(self) -> dict[str, Any]:
        return {"tags": dict(self.tags)}


@dataclass(frozen=True)
class UnsetTags(Change):
    action: ClassVar[str] = "unset_tags"
    keys: tuple[str, ...] = ()

    def sql(self) -> str:
        keys = ", ".join(literal(k) for k in self.keys)
        return f"ALTER {self.securable.value.upper()} {quoted(self.name)} UNSET TAGS ({keys})"

    def sdk_call(self) -> str:
        entity = _SDK_TAG_ENTITY[self.securable]
        return "; ".join(
            f"w.entity_tag_assignments.delete(entity_type={entity!r}, "
            f"entity_name={self.name.full_name!r}, tag_key={k!r})"
            for k in self.keys
        )

    def describe(self) -> str:
        return f"remove tags {', '.join(self.keys)} from {self.securable.value} {self.name}"

    def _fields(self) -> dict[str, Any]:
        return {"keys": list(self.keys)}


@dataclass(frozen=True)
class SetOwner(Change):
    action: ClassVar[str] = "set_owner"
    owner: str = ""

    def sql(self) -> str:
        return f"ALTER {self.securable.value.upper()} {quoted(self.name)} OWNER TO `{self.owner}`"

    def sdk_call(self) -> str:
        return f"w.{_SDK_API[self.securable]}.update({self.name.full_name!r}, owner={self.owner!r})"

    def describe(self) -> str:
        return f"make {self.owner} the owner of {self.securable.value} {self.name}"

    def _fields(self) -> dict[str, Any]:
        return {"owner": self.owner}


@dataclass(frozen=True)
class Grant(Change):
    action: ClassVar[str] = "grant"
    #: how the statement, the SDK change and the description say which way it goes
    _to: ClassVar[str] = "to"
    _sdk_list: ClassVar[str] = "add"
    principal: str = ""
    privileges: tuple[str, ...] = field(default=())

    def sql(self) -> str:
        listed = ", ".join(sql_privilege(p) for p in self.privileges)
        return (f"{self.action.upper()} {listed} ON {self.securable.value.upper()} {quoted(self.name)} "
                f"{self._to.upper()} `{self.principal}`")  # fmt: skip

    def sdk_call(self) -> str:
        listed = ", ".join(f"Privilege.{p}" for p in self.privileges)
        return (f"w.grants.update({self.securable.value!r}, {self.name.full_name!r}, changes=["
                f"PermissionsChange(principal={self.principal!r}, {self._sdk_list}=[{listed}])])")  # fmt: skip

    def describe(self) -> str:
        return (f"{self.action} {', '.join(self.privileges)} on {self.securable.value} {self.name} "
                f"{self._to} {self.principal}")  # fmt: skip

    def _fields(self) -> dict[str, Any]:
        return {"principal": self.principal, "privileges": list(self.privileges)}


@dataclass(frozen=True)
class Revoke(Grant):
    action: ClassVar[str] = "revoke"
    _to: ClassVar[str] = "from"
    _sdk_list: ClassVar[str] = "remove"


ACTIONS: dict[str, type[Change]] = {
    c.action: c for c in (Create, Drop, SetComment, SetTags, UnsetTags, SetOwner, Grant, Revoke)
}


def parse_change(body: Mapping[str, Any]) -> Change:
    """One change from the API's JSON; BadRequest naming what is wrong."""
    if not isinstance(body, Mapping):
        raise BadRequest("each change is an object with an `action` and a `name`")
    action = str(body.get("action", "")).strip().lower()
    if action not in ACTIONS:
        raise BadRequest(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
    securable = parse_securable(str(body["securable"])) if body.get("securable") else None
    name = ObjectName.parse(str(body.get("name", "")), securable)
    comment = _text(body.get("comment"), "comment", 4000)
    if action == "create":
        return create(name, comment=comment, columns=body.get("columns") or ())
    if action == "drop":
        return Drop(name, cascade=bool(body.get("cascade", False)))
    if action == "set_comment":
        return SetComment(name, comment=comment)
    if action == "set_tags":
        return set_tags(name, body.get("tags"))
    if action == "unset_tags":
        keys = body.get("keys")
        if not isinstance(keys, list) or not keys:
            raise BadRequest("unset_tags needs `keys`: the tag names to remove")
        return UnsetTags(name, keys=tuple(_tag_key(k) for k in keys))
    if action == "set_owner":
        return SetOwner(name, owner=principal_name(str(body.get("owner") or "")))
    return grant(ACTIONS[action], name, body.get("principal"), body.get("privileges"))


def create(name: ObjectName, *, comment: str | None = None, columns: Any = ()) -> Create:
    if name.securable is not Securable.TABLE:
        if columns:
            raise BadRequest("only a table has columns")
        return Create(name, comment=comment)
    specs = []
    for item in columns if isinstance(columns, Sequence) and not isinstance(columns, str) else ():
        if not isinstance(item, Mapping) or not item.get("name") or not item.get("type"):
            raise BadRequest("each column is an object with a `name` and a `type`")
        column = ObjectName.parse(str(item["name"])).leaf
        specs.append(
            ColumnSpec(
                column, column_type(str(item["type"])), _text(item.get("comment"), "comment", 1000)
            )
        )
    if not specs:
        raise BadRequest(f"a table needs at least one column: say {name}(id INT, name STRING)")
    seen = [c.name for c in specs]
    if len(seen) != len(set(seen)):
        raise BadRequest(f"table {name} names a column twice")
    return Create(name, comment=comment, columns=tuple(specs))


def set_tags(name: ObjectName, tags: Any) -> SetTags:
    if not isinstance(tags, Mapping) or not tags:
        raise BadRequest("set_tags needs `tags`: an object of tag names and values")
    pairs = tuple((_tag_key(k), _text(v, "tag value", 256) or "") for k, v in tags.items())
    return SetTags(name, tags=pairs)


def grant(kind: type[Change], name: ObjectName, principal: Any, privileges: Any) -> Grant:
    if not isinstance(privileges, list | tuple) or not privileges:
        raise BadRequest(f'{kind.action} needs `privileges`, such as ["SELECT"]')
    checked = tuple(dict.fromkeys(privilege(str(p), name.securable) for p in privileges))
    assert issubclass(kind, Grant)
    return kind(name, principal=principal_name(str(principal or "")), privileges=checked)


def _tag_key(key: Any) -> str:
    text = str(key or "").strip()
    if not text or len(text) > 255 or any(c in text for c in ".,-=/:") or text != text.strip():
        raise BadRequest(
            f"{key!r} is not a valid tag name (letters, digits, spaces, _ ; at most 255)"
        )
    return text


def _text(value: Any, what: str, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > limit:
        raise BadRequest(f"the {what} is longer than {limit} characters")
    return text or None
