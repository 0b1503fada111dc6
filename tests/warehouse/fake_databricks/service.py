"""The TCLIService handler: sessions, asynchronous operations, and a log of what it was asked.

It behaves as a SQL warehouse does towards the connector: ExecuteStatement starts the
statement and waits briefly, answering with direct results (status, metadata, the first
page, and a closed operation) when it finished in time, and with a bare handle otherwise,
which the client then polls with GetOperationStatus. CancelOperation interrupts DuckDB
until the statement has really stopped; the log records both the request and the stop.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from databricks.sql.thrift_api.TCLIService import ttypes

from tests.warehouse.fake_databricks.engine import (
    EngineError,
    EngineResult,
    FakeEngine,
    StatementInterrupted,
)
from tests.warehouse.fake_databricks.rowset import WireType, row_set, table_schema, wire_types

S = ttypes.TOperationState
OK = ttypes.TStatus(statusCode=ttypes.TStatusCode.SUCCESS_STATUS)
SERVER_PROTOCOL = ttypes.TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V7
POLL_SECONDS = 0.05  # GetOperationStatus waits this long for news before answering
SETTLED = (S.FINISHED_STATE, S.ERROR_STATE, S.CANCELED_STATE, S.CLOSED_STATE)


def _failure(code: int, message: str) -> Any:
    return ttypes.TStatus(statusCode=code, errorMessage=message, displayMessage=message)


def invalid(message: str) -> Any:
    return _failure(ttypes.TStatusCode.INVALID_HANDLE_STATUS, message)


@dataclass
class MutableServerLog:
    """What the fake warehouse was asked to do, in order, for tests to assert on."""

    statements: list[str] = field(default_factory=list)
    row_limits: list[int | None] = field(default_factory=list)  # resultRowLimit per statement
    cancelled: list[str] = field(default_factory=list)
    interrupted: list[str] = field(default_factory=list)
    closed_operations: list[str] = field(default_factory=list)
    opened_sessions: int = 0
    closed_sessions: int = 0
    refused: list[int] = field(default_factory=list)
    other_requests: list[str] = field(default_factory=list)


class MutableOperation:
    """One statement on its way through PENDING, RUNNING and a settled state."""

    def __init__(self, session: bytes, statement: str, row_limit: int | None) -> None:
        self.guid, self.secret = uuid.uuid4().bytes, uuid.uuid4().bytes
        self.session = session
        self.statement = statement
        self.row_limit = row_limit
        self.state: int = S.PENDING_STATE
        self.error: EngineError | None = None
        self.result = EngineResult((), [])
        self.wires: list[WireType] = []
        self.position = 0
        self.cursor: Any = None
        self.lock = threading.Lock()
        self.settled = threading.Event()  # the client may stop polling
        self.stopped = threading.Event()  # the engine no longer works on it

    def handle(self) -> Any:
        return ttypes.TOperationHandle(
            ttypes.THandleIdentifier(self.guid, self.secret),
            ttypes.TOperationType.EXECUTE_STATEMENT,
            hasResultSet=True,
        )

    def settle(self, state: int, error: EngineError | None = None) -> None:
        with self.lock:
            if self.state not in SETTLED:
                self.state, self.error = state, error
        self.settled.set()

    def cancel(self) -> None:
        """Mark it cancelled and interrupt DuckDB until the worker has let go of it."""
        self.settle(S.CANCELED_STATE)
        threading.Thread(target=self._interrupt, name="fake-dbx-interrupt", daemon=True).start()

    def _interrupt(self) -> None:
        while not self.stopped.wait(0.02):
            with self.lock:
                if self.cursor is not None:
                    self.cursor.interrupt()


class FakeSqlService:
    """Implements the TCLIService calls the connector makes to a SQL warehouse."""

    def __init__(
        self, engine: FakeEngine, *, direct_results_wait: float, page_rows: int | None
    ) -> None:
        self.engine = engine
        self.direct_results_wait = direct_results_wait
        self.page_rows = page_rows
        self.log = MutableServerLog()
        self.sessions: set[bytes] = set()
        self.operations: dict[bytes, MutableOperation] = {}
        self._lock = threading.Lock()

    # sessions -----------------------------------------------------------------------
    def OpenSession(self, req: Any) -> Any:
        guid = uuid.uuid4().bytes
        version = min(req.client_protocol_i64 or SERVER_PROTOCOL, SERVER_PROTOCOL)
        with self._lock:
            self.sessions.add(guid)
            self.log.opened_sessions += 1
        handle = ttypes.TSessionHandle(
            ttypes.THandleIdentifier(guid, uuid.uuid4().bytes), serverProtocolVersion=version
        )
        return ttypes.TOpenSessionResp(
            status=OK,
            serverProtocolVersion=version,
            sessionHandle=handle,
            configuration={},
            canUseMultipleCatalogs=True,
        )

    def CloseSession(self, req: Any) -> Any:
        guid = req.sessionHandle.sessionId.guid
        with self._lock:
            if guid not in self.sessions:
                return ttypes.TCloseSessionResp(invalid("Invalid SessionHandle"))
            self.sessions.discard(guid)
            self.log.closed_sessions += 1
            orphans = [op for op in self.operations.values() if op.session == guid]
        for op in orphans:
            self._close(op)
        return ttypes.TCloseSessionResp(OK)

    def forget_sessions(self) -> None:
        """What a warehouse restart does: every session and operation is gone."""
        with self._lock:
            self.sessions.clear()
            orphans = list(self.operations.values())
            self.operations.clear()
        for op in orphans:
            op.cancel()

    # statements ---------------------------------------------------------------------
    def ExecuteStatement(self, req: Any) -> Any:
        session = req.sessionHandle.sessionId.guid
        op = MutableOperation(session, req.statement, req.resultRowLimit)
        with self._lock:
            if session not in self.sessions:
                return ttypes.TExecuteStatementResp(invalid("Invalid SessionHandle"))
            self.operations[op.guid] = op
            self.log.statements.append(req.statement)
            self.log.row_limits.append(req.resultRowLimit)
        threading.Thread(
            target=self._run, args=(op,), name="fake-dbx-statement", daemon=True
        ).start()
        if req.getDirectResults is None:
            return ttypes.TExecuteStatementResp(OK, op.handle())
        op.settled.wait(self.direct_results_wait)
        direct = ttypes.TSparkDirectResults(operationStatus=self._status(op))
        if op.state == S.FINISHED_STATE:
            direct.resultSetMetadata = self._metadata(op)
            direct.resultSet = self._page(op, req.getDirectResults.maxRows)
        if op.state == S.ERROR_STATE or (direct.resultSet and not direct.resultSet.hasMoreRows):
            self._close(op)
            direct.closeOperation = ttypes.TCloseOperationResp(OK)
        return ttypes.TExecuteStatementResp(OK, op.handle(), direct)

    def _run(self, op: MutableOperation) -> None:
        cursor = self.engine.cursor()
        try:
            with op.lock:
                if op.state != S.PENDING_STATE:
                    return
                op.cursor, op.state = cursor, S.RUNNING_STATE
            try:
                result = self.engine.run(cursor, op.statement, op.row_limit)
            except StatementInterrupted:
                self.log.interrupted.append(op.statement)
                op.settle(S.CANCELED_STATE)
            except EngineError as exc:
                op.settle(S.ERROR_STATE, exc)
            else:
                op.result, op.wires = result, wire_types(result.columns, result.rows)
                op.settle(S.FINISHED_STATE)
        finally:
            with op.lock:
                op.cursor = None
            cursor.close()
            op.stopped.set()

    def GetOperationStatus(self, req: Any) -> Any:
        op = self._operation(req.operationHandle)
        if op is None:
            return ttypes.TGetOperationStatusResp(invalid("Invalid OperationHandle"))
        op.settled.wait(POLL_SECONDS)
        return self._status(op)

    def CancelOperation(self, req: Any) -> Any:
        op = self._operation(req.operationHandle)
        if op is None:
            return ttypes.TCancelOperationResp(invalid("Invalid OperationHandle"))
        self.log.cancelled.append(op.statement)
        op.cancel()
        return ttypes.TCancelOperationResp(OK)

    def CloseOperation(self, req: Any) -> Any:
        op = self._operation(req.operationHandle)
        if op is None:
            return ttypes.TCloseOperationResp(invalid("Invalid OperationHandle"))
        self._close(op)
        return ttypes.TCloseOperationResp(OK)

    # results ------------------------------------------------------------------------
    def GetResultSetMetadata(self, req: Any) -> Any:
        op = self._operation(req.operationHandle)
        if op is None:
            return ttypes.TGetResultSetMetadataResp(invalid("Invalid OperationHandle"))
        if op.state != S.FINISHED_STATE:
            return ttypes.TGetResultSetMetadataResp(_not_finished(op))
        return self._metadata(op)

    def FetchResults(self, req: Any) -> Any:
        op = self._operation(req.operationHandle)
        if op is None:
            return ttypes.TFetchResultsResp(invalid("Invalid OperationHandle"))
        if op.state != S.FINISHED_STATE:
            return ttypes.TFetchResultsResp(_not_finished(op))
        page = self._page(op, req.maxRows)
        if req.includeResultSetMetadata:
            page.resultSetMetadata = self._metadata(op)
        return page

    # helpers ------------------------------------------------------------------------
    def _operation(self, handle: Any) -> MutableOperation | None:
        with self._lock:
            return self.operations.get(handle.operationId.guid)

    def _close(self, op: MutableOperation) -> None:
        with self._lock:
            if self.operations.pop(op.guid, None) is None:
                return
            self.log.closed_operations.append(op.statement)
        if not op.stopped.is_set():
            op.cancel()

    def _status(self, op: MutableOperation) -> Any:
        message = op.error.message if op.error else None
        return ttypes.TGetOperationStatusResp(
            status=OK,
            operationState=op.state,
            sqlState=op.error.sql_state if op.error else None,
            errorMessage=message,
            displayMessage=message,
            hasResultSet=True,
        )

    def _metadata(self, op: MutableOperation) -> Any:
        return ttypes.TGetResultSetMetadataResp(
            status=OK,
            schema=table_schema(op.result.columns, op.wires),
            resultFormat=ttypes.TSparkRowSetType.COLUMN_BASED_SET,
            lz4Compressed=False,
            isStagingOperation=False,
        )

    def _page(self, op: MutableOperation, max_rows: int) -> Any:
        size = min(max_rows, self.page_rows) if self.page_rows else max_rows
        with op.lock:
            start = op.position
            page = op.result.rows[start : start + size]
            op.position = start + len(page)
            more = op.position < len(op.result.rows)
        return ttypes.TFetchResultsResp(OK, more, row_set(op.wires, start, page))


def _not_finished(op: MutableOperation) -> Any:
    state = S._VALUES_TO_NAMES.get(op.state, str(op.state))
    return _failure(ttypes.TStatusCode.ERROR_STATUS, f"the operation is {state}; no results")
