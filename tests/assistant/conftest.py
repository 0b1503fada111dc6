"""Fixtures for the assistant's tests."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from jsonschema import Draft7Validator

#: The Vega-Lite schema altair ships: the version the front end's vega-embed must accept.
VEGA_LITE_SCHEMA = files("altair") / "vegalite" / "v6" / "schema" / "vega-lite-schema.json"


@pytest.fixture(scope="module")
def vega_lite_validator() -> Draft7Validator:
    """A validator for whole Vega-Lite specs, built once per test module (the schema is
    1.8 MB of JSON)."""
    schema = json.loads(VEGA_LITE_SCHEMA.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)
