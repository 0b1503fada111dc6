"""A local Databricks SQL warehouse that the real databricks-sql-connector talks to.

It speaks the protocol the connector uses by default, the one users get: Thrift
TCLIService (binary protocol) in HTTPS POST bodies to ``/sql/1.0/warehouses/<id>``. The
service side is the connector's own generated code (``TCLIService.Processor`` and
``ttypes``); only the handler is ours. The Statement Execution API (``use_sea=True``) is not
used: the connector documents it as deprecated and incomplete.

What it does, so the provider's tests can rely on it:

- answers real SQL: each statement is transpiled from Databricks SQL to DuckDB by sqlglot
  and run on DuckDB over the lakehouse's ``*.duckdb`` files, attached READ_ONLY under their
  catalog names;
- returns rows as a COLUMN_BASED_SET, which the connector reads with or without pyarrow
  (pyarrow is not installed here, so the connector does not ask for Arrow batches);
- checks the bearer token (403 ``Invalid access token.`` otherwise) and the warehouse id in
  the path (404), and records refused and unexpected requests (telemetry, for instance);
- fails bad SQL with an ERROR_STATE that carries the engine's message;
- runs statements asynchronously, so a slow statement is polled, and CancelOperation
  interrupts DuckDB: ``log.cancelled`` records the request, ``log.interrupted`` the stop;
- closes operations and sessions, and can forget every session (a warehouse restart).

The certificate is self-signed for 127.0.0.1; the provider trusts it through its
``ca_file`` argument, as it would trust a private CA in front of a real workspace.
"""

from __future__ import annotations

from tests.warehouse.fake_databricks.server import FakeDatabricks
from tests.warehouse.fake_databricks.service import MutableServerLog

__all__ = ["FakeDatabricks", "MutableServerLog"]
