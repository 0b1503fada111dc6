"""Answering catalog plans in the assistant's contract: reads run at once, changes become
proposals that run only when someone with ``catalog:write`` confirms ("confirm" in the same
session, or POST /api/proposals/{id}/confirm)."""

from __future__ import annotations

from typing import Any

from lakechat.assistant.plans import CatalogChange, CatalogRead
from lakechat.catalog.base import ObjectInfo
from lakechat.catalog.changes import quoted
from lakechat.catalog.expand import expand
from lakechat.catalog.names import ObjectName, Securable
from lakechat.catalog.search import search, walk, without_owner
from lakechat.catalog.service import Governance
from lakechat.errors import BadRequest, NotFound
from lakechat.security.principals import Principal

EXAMPLES = (
    "list catalogs",
    "show tables in main.sales",
    "describe main.sales.orders",
    "who owns main.sales.orders?",
    "show grants on main.sales",
    "which tables have no owner?",
    "search for salary",
    "create a schema called sandbox in main",
    "grant USE_SCHEMA and SELECT on main.sandbox to analysts",
    "create bronze, silver and gold schemas in main and grant USE_SCHEMA on each to engineers",
)


def answer_read(plan: CatalogRead, gov: Governance) -> dict[str, Any]:
    catalog = gov.catalog
    if plan.action == "help":
        heard = f"I could not read {plan.text!r} as a catalog change. " if plan.text else ""
        return {"status": "answered" if not plan.text else "clarify",
                "answer": heard + "About the catalog you can ask or say, for example: " + "; ".join(EXAMPLES[:7]) + ".",
                "suggestions": list(EXAMPLES[:4]), "confidence": 1.0 if not plan.text else 0.0}  # fmt: skip
    if plan.action == "list_catalogs":
        found = catalog.list_catalogs()
        return _objects(found, "SHOW CATALOGS", f"There are {len(found)} catalogs: {_names(found)}.",
                        [f"show schemas in {found[0].name}" if found else "list catalogs", "which tables have no owner?"])  # fmt: skip
    if plan.action == "search":
        text = plan.text or ""
        found = search(catalog, text)
        head = f"{len(found)} object{'s' if len(found) != 1 else ''} mention {text!r}"
        return _objects(found, None, head + (f": {_names(found[:10])}." if found else "."),
                        [f"describe {found[0].name}" if found else "list catalogs"])  # fmt: skip
    if plan.action == "no_owner":
        under = ObjectName.parse(plan.name) if plan.name else None
        found = without_owner(catalog, Securable.TABLE, under)
        where = f" in {under}" if under else ""
        text = (f"{len(found)} table{'s have' if len(found) != 1 else ' has'} no owner{where}"
                + (f": {_names(found)}." if found else "."))  # fmt: skip
        sql = ("SELECT table_catalog, table_schema, table_name FROM system.information_schema.tables "
               "WHERE table_owner IS NULL")  # fmt: skip
        follow = [f"make data_stewards the owner of {found[0].name}"] if found else []
        return _objects(found, sql, text, [*follow, "list catalogs"])
    name, assumed = resolve(gov, plan.name or "")
    if plan.action == "list_schemas" or (plan.action == "list_tables" and len(name.parts) == 1):
        if plan.action == "list_tables":
            found = [t for t in walk(catalog, name) if t.securable is Securable.TABLE]
            return _objects(found, f"SHOW TABLES IN {quoted(name)}.*", f"{name} holds {len(found)} tables: {_names(found)}.",
                            [f"describe {found[0].name}" if found else f"show schemas in {name}"], assumed)  # fmt: skip
        found = catalog.list_schemas(name.catalog)
        return _objects(found, f"SHOW SCHEMAS IN {quoted(name)}", f"{name} has {len(found)} schemas: {_names(found)}.",
                        [f"show tables in {found[0].name}" if found else "list catalogs"], assumed)  # fmt: skip
    if plan.action == "list_tables":
        found = catalog.list_tables(*name.parts[:2])
        return _objects(found, f"SHOW TABLES IN {quoted(name)}", f"{name} has {len(found)} tables: {_names(found)}.",
                        [f"describe {found[0].name}" if found else f"show grants on {name}"], assumed)  # fmt: skip
    if plan.action == "grants":
        held = catalog.grants(name)
        kind = name.securable.value
        text = (f"On {kind} {name}: " + "; ".join(f"{g.principal} holds {', '.join(g.privileges)}" for g in held) + "."
                if held else f"No one holds grants on {kind} {name} itself (grants on its catalog or schema still apply).")  # fmt: skip
        return _rows(["principal", "privileges"], [[g.principal, ", ".join(g.privileges)] for g in held],
                     f"SHOW GRANTS ON {kind.upper()} {quoted(name)}", text, name,
                     [f"who owns {name}?", f"grant SELECT on {name} to analysts"], assumed)  # fmt: skip
    info = catalog.get(name)
    if plan.action == "owner":
        text = (f"{info.securable.value.capitalize()} {name} is owned by {info.owner}." if info.owner
                else f"{info.securable.value.capitalize()} {name} has no owner.")  # fmt: skip
        return _rows(["object", "owner"], [[name.full_name, info.owner]], _describe_sql(info), text, name,
                     [f"show grants on {name}", f"describe {name}"], assumed)  # fmt: skip
    return _described(info, assumed)


def _described(info: ObjectInfo, assumed: str | None) -> dict[str, Any]:
    name = info.name
    facts = [f"owner {info.owner or 'none'}"]
    if info.comment:
        facts.append(f"comment {info.comment!r}")
    if info.tags:
        facts.append("tags " + ", ".join(f"{k}={v}" if v else k for k, v in info.tags.items()))
    if info.securable is Securable.TABLE:
        text = f"{name} is a {(info.table_type or 'table').lower()} table with {len(info.columns)} columns ({', '.join(c.name for c in info.columns)}); {'; '.join(facts)}."
        rows = [[c.name, c.type, c.comment] for c in info.columns]
        return _rows(["column", "type", "comment"], rows, _describe_sql(info), text, name,
                     [f"show grants on {name}", f"who owns {name}?"], assumed)  # fmt: skip
    text = f"{info.securable.value.capitalize()} {name}: {'; '.join(facts)}."
    return _rows(["object", "owner", "comment"], [[name.full_name, info.owner, info.comment]], _describe_sql(info),
                 text, name, [f"show grants on {name}"], assumed)  # fmt: skip


def answer_change(plan: CatalogChange, gov: Governance, principal: Principal) -> dict[str, Any]:
    if not principal.has_scope("catalog:write"):
        return {"status": "refused", "confidence": 1.0,
                "answer": "Changing the catalog needs a key with the catalog:write scope; yours can "
                          "browse it (list, describe, grants, owners).",
                "suggestions": ["list catalogs", "which tables have no owner?"]}  # fmt: skip
    changes = expand(gov.catalog, plan.changes)
    proposal = gov.proposals.propose(changes, principal, summary=plan.request)
    count = len(proposal["statements"])
    shown = " ".join(f"({i}) {s}" for i, s in enumerate(proposal["statements"][:10], 1))
    more = f" and {count - 10} more" if count > 10 else ""
    job = " It will run as a background job with progress." if proposal["runs_as_job"] else ""
    text = (f"This changes the catalog, so it waits for your confirmation. I will run {count} "
            f"statement{'s' if count != 1 else ''}: {shown}{more}.{job} Say \"confirm\" to run it or "
            f"\"cancel\" to drop it (or POST {proposal['confirm']}); it expires in 15 minutes.")  # fmt: skip
    rows = [[i, c["sql"], c["sdk_call"]] for i, c in enumerate(proposal["changes"], 1)]
    return {
        "status": "answered",
        "answer": text,
        "sql": "\n".join(f"{s};" for s in proposal["statements"]),
        "columns": [
            {"name": "step", "type": "INTEGER"},
            {"name": "statement", "type": "VARCHAR"},
            {"name": "sdk_call", "type": "VARCHAR"},
        ],
        "rows": rows,
        "row_count": len(rows),
        "sources": [{"type": "catalog", "name": o} for o in proposal["objects"][:50]],
        "confidence": 0.95,
        "suggestions": ["confirm", "cancel"],
        "proposal": proposal,
    }


def answer_decision(
    proposal_id: str, confirm: bool, gov: Governance, principal: Principal
) -> dict[str, Any]:
    """ "confirm" or "cancel" said in the session that holds a pending proposal."""
    if not principal.has_scope("catalog:write"):
        return {"status": "refused", "confidence": 1.0,
                "answer": "Confirming a catalog change needs a key with the catalog:write scope."}  # fmt: skip
    if not confirm:
        proposal = gov.proposals.cancel(proposal_id, principal)
        return {"status": "answered", "answer": "Cancelled: nothing was changed.", "proposal": proposal,
                "confidence": 1.0, "suggestions": ["list catalogs"]}  # fmt: skip
    proposal = gov.confirm(proposal_id, principal)
    statements = proposal["statements"]
    if proposal.get("job_id"):
        text = (f"Started: {len(statements)} statements run as job {proposal['job_id']}; follow it at "
                f"GET /api/jobs/{proposal['job_id']}.")  # fmt: skip
        rows: list[list[Any]] = []
    else:
        outcomes = (proposal.get("result") or {}).get("statements", [])
        failed = [o for o in outcomes if o["status"] == "failed"]
        text = (f"Done: ran {len(outcomes) - len(failed)} of {len(outcomes)} statement{'s' if len(outcomes) != 1 else ''}"
                + (". Failed: " + "; ".join(f"{o['statement']} ({o['error']})" for o in failed) if failed else "")
                + ". Each one is in the audit log.")  # fmt: skip
        rows = [[o["statement"], o["status"], o["error"]] for o in outcomes]
    first = proposal["changes"][0]["name"] if proposal["changes"] else ""
    return {
        "status": "answered" if proposal["status"] != "failed" else "error",
        "answer": text,
        "sql": "\n".join(f"{s};" for s in statements),
        "columns": [
            {"name": "statement", "type": "VARCHAR"},
            {"name": "status", "type": "VARCHAR"},
            {"name": "error", "type": "VARCHAR"},
        ],
        "rows": rows,
        "row_count": len(rows),
        "proposal": proposal,
        "confidence": 1.0,
        "suggestions": [f"show grants on {first}", f"describe {first}"] if first else [],
    }


def resolve(gov: Governance, text: str) -> tuple[ObjectName, str | None]:
    """A name as written; a bare word that is not a catalog is looked up as a schema or
    table name, and said as an assumption (or a choice to make when several match)."""
    if not text:
        raise BadRequest("name a catalog, schema or table, such as main.sales.orders")
    name = ObjectName.parse(text)
    if len(name.parts) > 1 or gov.catalog.exists(name):
        return name, None
    matches = [
        o.name for o in walk(gov.catalog) if len(o.name.parts) > 1 and o.name.leaf == name.leaf
    ]
    if len(matches) == 1:
        return matches[0], f"{text} = {matches[0]}"
    if matches:
        raise AmbiguousName(text, matches)
    raise NotFound(
        f"no catalog, schema or table is called {text!r}; name it in full, such as main.sales.orders"
    )


class AmbiguousName(BadRequest):
    """A bare name that several objects have: the assistant asks which one."""

    code = "ambiguous_name"

    def __init__(self, text: str, options: list[ObjectName]) -> None:
        self.options = options
        super().__init__(f"{text!r} could be {', '.join(str(o) for o in options[:6])}: which one?")


def _objects(found: list[ObjectInfo], sql: str | None, text: str, suggestions: list[str],
             assumed: str | None = None) -> dict[str, Any]:  # fmt: skip
    rows = [[o.name.full_name, o.securable.value, o.owner, o.comment] for o in found]
    first = found[0].name if found else None
    return _rows(["name", "type", "owner", "comment"], rows, sql, text, first, suggestions, assumed)


def _rows(columns: list[str], rows: list[list[Any]], sql: str | None, text: str, source: ObjectName | None,
          suggestions: list[str], assumed: str | None = None) -> dict[str, Any]:  # fmt: skip
    if assumed:
        text += f" Assumed: {assumed}."
    return {
        "status": "answered",
        "answer": text,
        "sql": sql,
        "columns": [{"name": c, "type": "VARCHAR"} for c in columns],
        "rows": rows,
        "row_count": len(rows),
        "sources": [{"type": "catalog", "name": str(source)}] if source else [],
        "confidence": 0.85 if assumed else 1.0,
        "suggestions": suggestions[:4],
    }


def _names(found: list[ObjectInfo]) -> str:
    names = [o.name.full_name for o in found[:15]]
    return ", ".join(names) + (f" and {len(found) - 15} more" if len(found) > 15 else "")


def _describe_sql(info: ObjectInfo) -> str:
    kind = info.securable.value.upper()
    return f"DESCRIBE {kind} EXTENDED {quoted(info.name)}"
