"""`lakechat ask "..."` and `lakechat chat`: the assistant in the terminal, as POST /api/chat.

Both run as the local operator (an admin) and keep their sessions in the local state
store, so `lakechat ask "and by month?" --session ID` continues where the last answer left
off, and the same session can be read through the API by the local admin.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.prompt import Prompt

from lakechat.cli.output import console, err_console, print_json, print_table

if TYPE_CHECKING:
    from lakechat.assistant.service import Assistant
    from lakechat.assistant.sessions import ChatSession, SessionStore

#: Rows shown in the terminal table; --json has them all.
SHOWN_ROWS = 50
_STYLES = {"answered": "bold", "clarify": "bold yellow", "refused": "bold yellow"}
_EXIT_WORDS = {"exit", "quit", "bye"}


def ask(
    question: str = typer.Argument(..., help="The question, in plain language."),
    session: str | None = typer.Option(
        None, "--session", help="Continue this session (its id is printed after each answer)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the answer contract as JSON."),
) -> None:
    """Ask the assistant one question, as the local operator."""
    with conversation(session) as talk:
        reply = talk.ask(question)
    if as_json:
        print_json(reply)
    else:
        show(reply)
    if reply["status"] == "error":
        raise typer.Exit(1)


def chat(
    session: str | None = typer.Option(None, "--session", help="Continue this session."),
) -> None:
    """Talk to the assistant: each question can build on the last. `exit` or Ctrl-D ends."""
    from lakechat.errors import LakechatError

    with conversation(session) as talk:
        console.print(
            "Ask about your data, for example [italic]Revenue by region[/]. "
            "Type [bold]exit[/] or press Ctrl-D to end.",
            highlight=False,
        )
        while True:
            try:
                text = Prompt.ask("[bold cyan]you[/]", console=console)
            except EOFError:
                console.print()
                break
            if not text.strip():
                continue
            if text.strip().lower() in _EXIT_WORDS:
                break
            try:
                show(talk.ask(text), session_hint=False)
            except LakechatError as exc:  # a bad message ends the turn, not the conversation
                err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
        if talk.session is not None and talk.session.stored:
            console.print(f"session {talk.session.id}", style="dim", highlight=False)


@dataclass
class MutableConversation:
    """One session in the terminal: the assistant and the session it continues."""

    assistant: Assistant
    sessions: SessionStore
    session: ChatSession | None = None

    def ask(self, message: str) -> dict[str, Any]:
        from lakechat.assistant.sessions import checked_message
        from lakechat.security.principals import LOCAL_ADMIN

        text = checked_message(message)
        if self.session is None:
            self.session = self.sessions.open(None, LOCAL_ADMIN)
        answer = self.assistant.ask(
            text,
            LOCAL_ADMIN,
            previous=self.session.previous,
            pending_proposal=self.session.pending_proposal,
            session_id=self.session.id,
            health_context=self.session.health_context,
        )
        turn = self.sessions.record(self.session, text, answer)
        self.session = turn.session
        return {**answer, "message_id": turn.answer_id}


@contextmanager
def conversation(session_id: str | None) -> Iterator[MutableConversation]:
    """The local assistant and session store; a brand-new state store is created first."""
    from lakechat.assistant.service import Assistant
    from lakechat.assistant.sessions import SessionStore
    from lakechat.catalog.service import Governance
    from lakechat.knowledge.factory import build_knowledge
    from lakechat.monitor.service import PlatformHealth
    from lakechat.security.principals import LOCAL_ADMIN
    from lakechat.semantic.cache import build_result_cache
    from lakechat.semantic.loader import model_folders
    from lakechat.semantic.registry import ModelRegistry
    from lakechat.settings import load_settings
    from lakechat.store.database import StateStore
    from lakechat.store.migrate import ensure_current
    from lakechat.warehouse.factory import build_warehouse
    from lakechat.warehouse.state_provider import StateStoreWarehouse

    settings = load_settings()
    store = StateStore(settings.state_url, connect_timeout=settings.health_check_timeout_seconds)
    try:
        ensure_current(store)
        sessions = SessionStore(store, settings.session_timeout_hours)
        # check the session before the warehouse starts, so a stale id fails at once
        opened = sessions.open(session_id, LOCAL_ADMIN) if session_id else None
        warehouse = build_warehouse(settings)
        try:
            registry = ModelRegistry(
                model_folders(settings.models_path, settings.home),
                {"state": StateStoreWarehouse(settings.state_url)},  # the request log's models
            )
            knowledge = build_knowledge(settings, store)
            governance = Governance.build(settings, store, knowledge)
            assistant = Assistant(
                registry, warehouse, settings, build_result_cache(settings),
                governance=governance, knowledge=knowledge,
                health=PlatformHealth.build(settings, warehouse, store=store),
            )  # fmt: skip
            try:
                yield MutableConversation(assistant, sessions, opened)
            finally:
                governance.runner.close()  # a batch confirmed here finishes before we exit
                knowledge.close()
                registry.close()
        finally:
            warehouse.close()
    finally:
        store.dispose()


def show(reply: dict[str, Any], *, session_hint: bool = True) -> None:
    """The answer, its rows, the SQL, confidence and suggestions, for a terminal."""
    status = reply["status"]
    if status == "error":
        err_console.print(f"[bold red]error:[/] {escape(reply['answer'])}", highlight=False)
    else:
        console.print(escape(reply["answer"]), style=_STYLES.get(status, "bold"), highlight=False)
    rows: Sequence[Sequence[Any]] = reply.get("rows") or []
    columns = [c["name"] for c in reply.get("columns") or []]
    if rows and (len(rows) > 1 or len(columns) > 1):
        print_table("", columns, [[_cell(v) for v in row] for row in rows[:SHOWN_ROWS]])
        hidden = len(rows) - SHOWN_ROWS
        if hidden > 0:
            console.print(
                f"… and {hidden:,} more row{'s' if hidden != 1 else ''} (--json shows all)",
                style="dim",
            )
    if reply.get("truncated"):
        console.print("The result was cut at the row limit (QUERY_MAX_ROWS).", style="dim")
    if reply.get("sql"):
        console.print(f"SQL: {escape(reply['sql'])}", style="dim", highlight=False, soft_wrap=True)
    if status == "answered" and reply.get("sql"):
        console.print(f"confidence {reply['confidence']:.0%}", style="dim", highlight=False)
    suggestions = reply.get("suggestions") or []
    if suggestions:
        console.print("Try:", style="dim")
        for suggestion in suggestions:
            console.print(f"  • {escape(suggestion)}", highlight=False)
    if session_hint and reply.get("session_id"):
        console.print(
            f"session {reply['session_id']} (continue with --session {reply['session_id']})",
            style="dim",
            highlight=False,
        )


def _cell(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return value
