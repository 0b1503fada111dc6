"""A real ``WorkspaceClient`` that sees only the fake, nothing configured on the machine.

``Config`` fills every attribute it was not given from its ``DATABRICKS_*`` (and ``ARM_*``,
``GOOGLE_*``) environment variable, and with ``DATABRICKS_CONFIG_PROFILE`` set it reads
``~/.databrickscfg`` even when host and token are passed. So the client is built with those
variables hidden, and with ``auth_type="pat"`` so no other credential provider is tried.
Retries are capped: the SDK otherwise retries a refused connection, a 429 or a 503 for five
minutes, longer than a test may run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_ENV_LOCK = threading.Lock()


def sdk_environment_variables() -> list[str]:
    """Every environment variable ``databricks.sdk.core.Config`` reads."""
    from databricks.sdk.config import Config

    names = {"DATABRICKS_RUNTIME_VERSION"}  # switches on the notebook-native credentials
    for attribute in Config.attributes():
        if attribute.env:
            names.add(attribute.env)
        names.update(attribute.env_aliases or ())
    return sorted(names)


@contextmanager
def without_sdk_environment() -> Iterator[None]:
    """The SDK's environment variables hidden, for as long as the block runs."""
    with _ENV_LOCK:
        saved = {n: os.environ.pop(n) for n in sdk_environment_variables() if n in os.environ}
        try:
            yield
        finally:
            os.environ.update(saved)


def workspace_client(host: str, token: str, **overrides: Any) -> Any:
    """``WorkspaceClient`` on ``Config(host=host, token=token, auth_type="pat")`` with short
    retries; ``overrides`` go to ``Config`` (``retry_timeout_seconds=300`` is the SDK's)."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    options: dict[str, Any] = {"retry_timeout_seconds": 20, "http_timeout_seconds": 10}
    options.update(overrides)
    with without_sdk_environment():
        config = Config(host=host, token=token, auth_type="pat", **options)
    return WorkspaceClient(config=config)
