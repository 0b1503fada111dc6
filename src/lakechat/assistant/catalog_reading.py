"""Catalog questions and commands in plain English -> ``CatalogRead`` / ``CatalogChange`` plans.

Everything the Unity Catalog chatbot understood, and more: list catalogs, schemas and
tables; describe a table; who owns it; grants on an object; tables without an owner;
search; create catalogs, schemas (several at once) and tables with their columns; grant
and revoke; set owner, comment and tags; drop; and several steps in one message ("create
bronze, silver and gold schemas in main and grant USE_SCHEMA on each to engineers").
Reading here is pure text work: names are checked against the catalog when the plan runs.
"""

from __future__ import annotations

import re
from typing import Any

from lakechat.assistant.plans import CatalogChange, CatalogRead

_PART = r"`?[A-Za-z_][\w]*`?"
NAME = rf"{_PART}(?:\.{_PART}){{0,2}}(?:\.\*)?"
_KIND = r"(?:(?P<kind>catalog|schema|database|table)\s+)?"
_VERBS = (
    r"create|make|add|set|grant|revoke|drop|delete|remove|tag|untag|comment|transfer|change|give"
)
_FLAGS = re.IGNORECASE

#: catalog words: a message without one of these is never read as a catalog request
_CATALOG_WORDS = re.compile(
    r"\b(catalogs?|schemas?|databases?|tables?|grants?|permissions?|privileges?|owners?|owns|"
    r"ownership|tags?|comment|access|describe|details|columns|search)\b",
    _FLAGS,
)

_READS: list[tuple[str, re.Pattern[str]]] = [
    ("no_owner", re.compile(rf"\b(?:tables?|objects?)\b.*\b(?:no|without(?: an?)?|missing(?: an?)?)\s+owners?\b(?:.*?\b(?:in|under)\s+(?P<name>{NAME}))?", _FLAGS)),
    ("no_owner", re.compile(rf"\b(?:unowned|ownerless|orphaned)\s+tables?\b(?:.*?\b(?:in|under)\s+(?P<name>{NAME}))?", _FLAGS)),
    ("owner", re.compile(rf"\bwho\s+(?:owns|is\s+the\s+owner\s+of)\s+(?:the\s+)?{_KIND}(?P<name>{NAME})", _FLAGS)),
    ("owner", re.compile(rf"\bowner\s+of\s+(?:the\s+)?{_KIND}(?P<name>{NAME})", _FLAGS)),
    ("grants", re.compile(rf"\b(?:grants|permissions|privileges|access)\s+(?:on|for|to)\s+(?:the\s+)?{_KIND}(?P<name>{NAME})", _FLAGS)),
    ("grants", re.compile(rf"\bwho\s+(?:has\s+access\s+to|can\s+(?:read|query|use|see|access))\s+(?:the\s+)?{_KIND}(?P<name>{NAME})", _FLAGS)),
    ("describe", re.compile(rf"\b(?:describe|details?\s+(?:of|for|about|on)|tell\s+me\s+about|columns\s+(?:of|in)|schema\s+of)\s+(?:the\s+)?{_KIND}(?P<name>{NAME})", _FLAGS)),
    ("describe", re.compile(rf"\btable\s+details\s+(?:for\s+)?(?P<name>{NAME})", _FLAGS)),
    ("describe", re.compile(rf"\bwhat\s+columns\s+(?:does|do)\s+(?:the\s+)?(?:table\s+)?(?P<name>{NAME})\s+have", _FLAGS)),
    ("list_tables", re.compile(rf"\btables\s+(?:are\s+)?(?:in|of|under|inside)\s+(?:the\s+)?(?:schema\s+|catalog\s+)?(?P<name>{NAME})", _FLAGS)),
    ("list_schemas", re.compile(rf"\b(?:schemas|databases)\s+(?:are\s+)?(?:in|of|under|inside)\s+(?:the\s+)?(?:catalog\s+)?(?P<name>{NAME})", _FLAGS)),
    ("list_catalogs", re.compile(r"^(?:please\s+)?(?:list|show|what|which|display|get|give)\b.*\bcatalogs\b", _FLAGS)),
    ("list_catalogs", re.compile(r"^catalogs$", _FLAGS)),
    ("search", re.compile(r"\b(?:search|look)\s+(?:the\s+catalog\s+)?(?:for\s+)?(?:tables?\s+|objects?\s+)?(?:about|named|called|with|matching|mentioning|containing|for)?\s*[\"']?(?P<text>[\w\s-]+?)[\"']?$", _FLAGS)),
    ("search", re.compile(r"\bfind\s+(?:all\s+)?(?:tables?|objects?|schemas?)\s+(?:about|named|called|with|matching|mentioning|containing|like|for)\s+[\"']?(?P<text>[\w\s-]+?)[\"']?$", _FLAGS)),
    ("help", re.compile(r"\b(?:help|what can (?:i|you) do)\b.*\b(?:catalog|governance|grants?)\b|^catalog\s+help$", _FLAGS)),
]  # fmt: skip

_CREATE_MANY = re.compile(
    rf"^(?:please\s+)?(?:create|make|add|set\s+up)\s+(?P<names>{_PART}(?:\s*,\s*{_PART})*(?:,?\s+and\s+{_PART}))\s+"
    rf"(?P<kind>catalogs|schemas|databases)(?:\s+(?:in|under|inside)\s+(?:the\s+)?(?:catalog\s+)?(?P<parent>{NAME}))?$",
    _FLAGS,
)
_CREATE = re.compile(
    rf"^(?:please\s+)?(?:create|make|add|set\s+up)\s+(?:a\s+|an\s+|the\s+)?(?:new\s+)?(?P<kind>catalog|schema|database|table)\s+"
    rf"(?:called\s+|named\s+)?(?P<name>{NAME})(?:\s+(?:in|under|inside)\s+(?:the\s+)?(?:catalog\s+|schema\s+)?(?P<parent>{NAME}))?"
    r"(?P<rest>.*)$",
    _FLAGS,
)
_GRANT = re.compile(
    rf"^(?:please\s+)?(?P<verb>grant|give|revoke)\s+(?:(?P<who1>.+?)\s+)??(?P<privs>[\w\s,]+?)\s+(?:access\s+|privileges?\s+|permissions?\s+)?on\s+"
    r"(?:(?P<every>every|all|each)\s+(?:the\s+|of\s+the\s+)?(?P<children>tables?|schemas?)\s+(?:in|of|under)\s+)?(?:the\s+)?"
    rf"{_KIND}(?P<name>{NAME})\s+(?:to|from)\s+(?P<who>.+)$",
    _FLAGS,
)
_GIVE = re.compile(
    rf"^(?:please\s+)?give\s+(?:the\s+)?(?P<who>[\w.@-]+(?:\s+group)?)\s+(?P<privs>[\w\s,]+?)\s+(?:access|privileges?|permissions?)\s+(?:on|to)\s+"
    rf"(?:the\s+)?{_KIND}(?P<name>{NAME})$",
    _FLAGS,
)
_OWNER = [
    re.compile(rf"^(?:please\s+)?(?:set|change|transfer|give)\s+(?:the\s+)?owner(?:ship)?\s+(?:of\s+)?(?:the\s+)?{_KIND}(?P<name>{NAME})\s+to\s+(?P<who>.+)$", _FLAGS),
    re.compile(rf"^(?:please\s+)?make\s+(?P<who>.+?)\s+(?:the\s+)?owner\s+of\s+(?:the\s+)?{_KIND}(?P<name>{NAME})$", _FLAGS),
]  # fmt: skip
_COMMENT = re.compile(
    rf"^(?:please\s+)?(?:set\s+(?:the\s+)?comment\s+(?:on|of|for)|comment\s+on|add\s+(?:a\s+)?comment\s+(?:to|on))\s+(?:the\s+)?{_KIND}(?P<name>{NAME})"
    r"\s*(?:to|as|:|is|saying)?\s*(?P<text>.+)$",
    _FLAGS,
)
_TAG = [
    re.compile(rf"^(?:please\s+)?(?:tag|label)\s+(?:the\s+)?{_KIND}(?P<name>{NAME})\s+(?:with|as)\s+(?P<tags>.+)$", _FLAGS),
    re.compile(rf"^(?:please\s+)?(?:add|set)\s+(?:the\s+)?tags?\s+(?P<tags>.+?)\s+(?:to|on)\s+(?:the\s+)?{_KIND}(?P<name>{NAME})$", _FLAGS),
]  # fmt: skip
_UNTAG = re.compile(
    rf"^(?:please\s+)?(?:remove|unset|delete|drop)\s+(?:the\s+)?tags?\s+(?P<keys>.+?)\s+from\s+(?:the\s+)?{_KIND}(?P<name>{NAME})$",
    _FLAGS,
)
_DROP = re.compile(
    rf"^(?:please\s+)?(?:drop|delete|remove)\s+(?:the\s+)?(?P<kind>catalog|schema|database|table)\s+(?P<name>{NAME})"
    r"(?P<cascade>\s+(?:with\s+)?(?:cascade|and\s+everything\s+in\s+it|with\s+everything\s+in\s+it|including\s+(?:its|all)\s+(?:tables|schemas)))?$",
    _FLAGS,
)
_SPLIT = re.compile(
    rf"\s*(?:;|,?\s+and\s+then\s+|,?\s+then\s+|,?\s+and\s+(?=(?:{_VERBS})\b)|\.\s+(?=(?:{_VERBS})\b))\s*",
    _FLAGS,
)
_CHANGE_START = re.compile(rf"^(?:please\s+)?(?:{_VERBS})\b", _FLAGS)
#: a change verb with one of these is about the catalog, not the data
_OBJECT_WORDS = re.compile(
    r"\b(?:catalogs?|schemas?|databases?|tables?|grant|revoke|owner|ownership|tags?|comment|access|"
    r"privileges?|permissions?)\b",
    _FLAGS,
)
#: reads of one object: a bare word after them is only an object when called one
_NEEDS_AN_OBJECT = frozenset({"describe", "owner", "grants"})
#: privileges people say in words
_PRIVILEGE_WORDS = {"read": "SELECT", "query": "SELECT", "write": "MODIFY", "all": "ALL_PRIVILEGES",
                    "everything": "ALL_PRIVILEGES", "all privileges": "ALL_PRIVILEGES"}  # fmt: skip
CONFIRM = re.compile(
    r"^(?:yes|y|ok|okay|confirm(?:ed)?|go ahead|do it|apply( it)?|run it|proceed)[.!]*$", _FLAGS
)
CANCEL = re.compile(r"^(?:no|n|cancel|abort|stop|never ?mind|don'?t)[.!]*$", _FLAGS)


def read_catalog(message: str) -> CatalogRead | CatalogChange | None:
    """The catalog plan ``message`` asks for, or None when it is not about the catalog."""
    text = message.strip().rstrip("?.! ")
    if not text:
        return None
    if _CHANGE_START.match(text):
        changes = _changes(text)
        if changes is not None:
            return CatalogChange(changes=tuple(changes), request=text)
        if _OBJECT_WORDS.search(text):
            # a catalog change we could not read: show how to say it, never guess
            return CatalogRead(action="help", text=text)
        return None
    if not _CATALOG_WORDS.search(text):
        return None
    for action, pattern in _READS:
        found = pattern.search(text)
        if found:
            groups = found.groupdict()
            name = _clean_name(groups.get("name"))
            if action in _NEEDS_AN_OBJECT and name and "." not in name and not groups.get("kind"):
                continue  # "describe revenue" is about data, not a catalog object
            return CatalogRead(
                action=action, name=name, text=(groups.get("text") or "").strip() or None
            )
    return None


def _changes(text: str) -> list[dict[str, Any]] | None:
    """Each clause as a change; None unless every clause reads as one."""
    clauses = [c for c in _SPLIT.split(text) if c.strip()]
    changes: list[dict[str, Any]] = []
    made: list[str] = []
    for clause in clauses:
        found = _clause(clause.strip(), made)
        if found is None:
            return None
        changes += found
        made += [c["name"] for c in found if c["action"] == "create"]
    return changes or None


def _clause(clause: str, made: list[str]) -> list[dict[str, Any]] | None:
    if m := _CREATE_MANY.match(clause):
        parent = _clean_name(m["parent"])
        names = re.split(r"\s*,\s*|\s+and\s+", m["names"])
        return [{"action": "create", "name": _qualified(n, parent)} for n in names if n.strip()]
    if m := _CREATE.match(clause):
        name = _qualified(m["name"], _clean_name(m["parent"]))
        change: dict[str, Any] = {"action": "create", "name": name, **_create_rest(m["rest"] or "")}
        if m["kind"].lower() == "table":
            change["securable"] = "table"
        return [change]
    if m := _GIVE.match(clause):
        name = _clean_name(m["name"]) or m["name"]
        return [
            {
                "action": "grant",
                "name": name,
                "principal": _principal(m["who"]),
                "privileges": _privileges(m["privs"]),
            }
        ]
    if m := _GRANT.match(clause):
        return _grant(m, made)
    for pattern in _OWNER:
        if m := pattern.match(clause):
            return [
                {
                    "action": "set_owner",
                    "name": _clean_name(m["name"]),
                    "owner": _principal(m["who"]),
                }
            ]
    if m := _COMMENT.match(clause):
        return [
            {
                "action": "set_comment",
                "name": _clean_name(m["name"]),
                "comment": _unquote(m["text"]),
            }
        ]
    if m := _UNTAG.match(clause):
        keys = [
            k.strip().strip("'\"") for k in re.split(r"\s*,\s*|\s+and\s+", m["keys"]) if k.strip()
        ]
        return [{"action": "unset_tags", "name": _clean_name(m["name"]), "keys": keys}]
    for pattern in _TAG:
        if m := pattern.match(clause):
            return [
                {"action": "set_tags", "name": _clean_name(m["name"]), "tags": _tags(m["tags"])}
            ]
    if m := _DROP.match(clause):
        return [{"action": "drop", "name": _clean_name(m["name"]), "cascade": bool(m["cascade"])}]
    return None


def _grant(m: re.Match[str], made: list[str]) -> list[dict[str, Any]] | None:
    verb = "revoke" if m["verb"].lower() == "revoke" else "grant"
    who = _principal(m["who1"] if m["who1"] and m["verb"].lower() == "give" else m["who"])
    privileges = _privileges(m["privs"])
    target = m["name"]
    if target.lower() in ("each", "them", "it", "those", "these"):
        names = made
    elif m["every"]:
        names = [f"{_clean_name(target)}.*"]
    else:
        names = [_clean_name(target) or target]
    if not names:
        return None
    return [{"action": verb, "name": n, "principal": who, "privileges": privileges} for n in names]


def _privileges(text: str) -> list[str]:
    words = [w.strip() for w in re.split(r"\s*,\s*|\s+and\s+", text.strip()) if w.strip()]
    return [_PRIVILEGE_WORDS.get(w.lower(), w) for w in words]


def _principal(text: str) -> str:
    who = text.strip().strip("'\"`")
    who = re.sub(r"^(?:the\s+)?(?:group|user|principal)\s+", "", who, flags=_FLAGS)
    who = re.sub(r"^the\s+", "", who, flags=_FLAGS)
    who = re.sub(r"\s+(?:group|team)$", "", who, flags=_FLAGS)
    return who.strip().strip("'\"`")


def _create_rest(rest: str) -> dict[str, Any]:
    """``with columns id int, name string`` or ``(id INT, name STRING)``, and a comment."""
    found: dict[str, Any] = {}
    comment = re.search(r"\b(?:with\s+)?comment\s+['\"](?P<c>[^'\"]*)['\"]", rest, _FLAGS)
    if comment:
        found["comment"] = comment["c"]
        rest = rest[: comment.start()] + rest[comment.end() :]
    columns = re.search(
        r"\((?P<cols>.+)\)|\bwith\s+(?:the\s+)?columns?\s*:?\s*(?P<cols2>.+)$", rest, _FLAGS
    )
    if columns:
        listed = columns["cols"] or columns["cols2"] or ""
        found["columns"] = [_column(part) for part in _split_columns(listed) if part.strip()]
    return found


def _split_columns(text: str) -> list[str]:
    """Split on commas outside parentheses and angle brackets (DECIMAL(10,2), MAP<a,b>)."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "(<"
        depth -= char in ")>"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    out: list[str] = []
    for part in parts:  # "id int and name string": a last "and"
        out += [p for p in re.split(r"\s+and\s+", part) if p.strip()]
    return out


def _column(text: str) -> dict[str, str]:
    words = text.strip().split(None, 1)
    column_type = words[1].strip() if len(words) > 1 else ""
    column_type = re.sub(r"^(?:as|of\s+type|type)\s+", "", column_type, flags=_FLAGS)
    return {"name": words[0].strip("`'\""), "type": column_type}


def _tags(text: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for raw in re.split(r"\s*,\s*|\s+and\s+", text.strip()):
        part = raw.strip().strip("'\"")
        if not part:
            continue
        if "=" in part or ":" in part:
            key, value = re.split(r"\s*[=:]\s*", part, maxsplit=1)
        else:
            key, value = part, ""
        tags[key.strip().strip("'\"")] = value.strip().strip("'\"")
    return tags


def _clean_name(text: str | None) -> str | None:
    return text.replace("`", "").strip() if text else None


def _qualified(name: str, parent: str | None) -> str:
    cleaned = _clean_name(name) or name
    return f"{parent}.{cleaned}" if parent and "." not in cleaned else cleaned


def _unquote(text: str) -> str:
    return text.strip().strip("'\"“”").strip()
