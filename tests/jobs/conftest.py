"""Job fixtures: the catalog tests' private copy of the demo lakehouse."""

from tests.catalog.conftest import lakehouse_copy

__all__ = ["lakehouse_copy"]
