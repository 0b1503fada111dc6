"""Every route the fake answers, one module per area of the REST API."""

from __future__ import annotations

from tests.catalog.fake_unity.routes import permissions, securables, statements, tags
from tests.catalog.fake_unity.routes.base import Route

ROUTES: tuple[Route, ...] = tuple(
    route for area in (securables, permissions, tags, statements) for route in area.routes.routes
)

__all__ = ["ROUTES"]
