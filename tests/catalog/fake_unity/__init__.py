"""A local Databricks workspace serving Unity Catalog's REST API, for the real databricks-sdk.

``WorkspaceClient(host=fake.host, token=fake.token, auth_type="pat")`` talks to it over plain
HTTP on 127.0.0.1, on the paths, query parameters and JSON shapes the SDK uses:

- catalogs, schemas and tables: list (paginated), get, create (catalogs and schemas),
  update (owner, comment, new name), delete (``force`` for what is not empty);
- grants: ``/permissions/{securable_type}/{full_name}`` GET and PATCH, with each
  securable's valid privileges and only principals the fake knows;
- tags: ``/entity-tag-assignments`` create, get, list, update, delete;
- SQL: ``POST /api/2.0/sql/statements`` runs ``CREATE TABLE`` and ``COMMENT ON`` on the
  metastore, on the one warehouse ``fake.warehouse_id``; other statements fail.

Refusals use Databricks' envelope (``{"error_code", "message", "details"}``) and statuses,
so the SDK raises ``NotFound``, ``ResourceAlreadyExists``, ``InvalidParameterValue`` or
``PermissionDenied`` with the fake's message. A wrong token gets what a workspace answers
(403 ``Invalid access token.``; ``wrong_token="unauthenticated"`` answers 401 instead).

Tests switch on refusals with ``fake.deny(method, path)`` and ``fake.protect(full_name)``,
inject failures with ``fake.fail_next(...)``, shrink pages with ``fake.page_size``, and read
``fake.log``. Seed with ``fake.seed_from_lakehouse(dir)`` or ``fake.seed_from_dict({...})``.

Not modelled: the ``default`` and ``information_schema`` schemas Databricks adds to a new
catalog, inherited and effective permissions, ownership checks beyond ``protect``, tables
created through the REST API, volumes, functions and every other statement.
"""

from __future__ import annotations

from tests.catalog.fake_unity.client import workspace_client
from tests.catalog.fake_unity.request_log import MutableRequestLog, RequestLogEntry
from tests.catalog.fake_unity.server import FakeUnityCatalog

__all__ = ["FakeUnityCatalog", "MutableRequestLog", "RequestLogEntry", "workspace_client"]
