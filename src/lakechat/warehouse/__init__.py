"""Warehouses: where statements run. A small protocol with embedded and production providers."""
