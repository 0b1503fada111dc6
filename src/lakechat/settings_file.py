"""config.yaml: find it, read it, and map its sections onto setting names.

The file keeps the deployment guides' layout::

    environment: production          # or {name: production, home: /var/lib/lakechat}
    databricks: {host: ..., token: ..., warehouse_id: ...}
    server: {host: 0.0.0.0, port: 8000, workers: 4, timeout: 30}
    security: {enable_auth: true, api_key_header: X-API-Key, allowed_origins: [...]}
    features: {enable_sql_execution: true, enable_caching: true, ...}
    logging: {level: INFO, format: json, log_to_file: true, file_path: ...}

Any other section works the same way (``database: {url: ...}`` is ``DATABASE_URL``), and
a top-level key may name a setting directly (``query_max_rows: 500``). An unknown key is
an error with a did-you-mean, never silently ignored.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from lakechat.errors import ConfigurationError

#: Keys whose setting name is not simply ``<section>_<key>`` or ``<key>``.
SPECIAL_KEYS: dict[tuple[str, str], str] = {
    ("environment", "name"): "environment",
    ("environment", "home"): "lakechat_home",
    ("environment", "data_dir"): "lakechat_home",
    ("features", "caching"): "cache_enabled",
    ("features", "enable_caching"): "cache_enabled",
    ("logging", "level"): "log_level",
    ("logging", "format"): "log_format",
    ("logging", "to_file"): "log_to_file",
    ("logging", "file_path"): "log_file_path",
    ("logging", "file_max_bytes"): "log_file_max_bytes",
    ("logging", "file_backup_count"): "log_file_backup_count",
    ("database", "url"): "database_url",
    ("redis", "url"): "redis_url",
    ("redis", "key_prefix"): "redis_key_prefix",
}


def find_config_file(environ: Mapping[str, str]) -> Path | None:
    """LAKECHAT_CONFIG if set (it must exist), else ./config.yaml, else $LAKECHAT_HOME/config.yaml."""
    lowered = {key.lower(): value for key, value in environ.items()}
    explicit = lowered.get("lakechat_config")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigurationError(f"LAKECHAT_CONFIG names {path}, which does not exist")
        return path
    home = Path(lowered.get("lakechat_home") or ".lakechat").expanduser()
    for candidate in (Path("config.yaml"), home / "config.yaml"):
        if candidate.is_file():
            return candidate
    return None


def _candidates(section: str, key: str) -> list[str]:
    special = SPECIAL_KEYS.get((section, key))
    if special:
        return [special]
    bare = key.removeprefix("enable_") if section == "features" else key
    names = [f"{section}_{key}", key]
    if section == "features":
        names.insert(0, f"feature_{bare}")
    if section == "logging":
        names.insert(0, f"log_{key.removeprefix('log_')}")
    return names


def read_config_file(path: Path, fields: set[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Setting values from the file, and for each the ``section.key`` it came from."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read config file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: the top level must be a mapping of sections")
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    unknown: list[str] = []
    known_keys = sorted(fields)

    def place(name: str, value: Any, origin: str) -> None:
        values[name] = value
        origins[name] = origin

    for raw_section, content in data.items():
        section = str(raw_section)
        if section == "environment" and not isinstance(content, dict):
            place("environment", content, "environment")
            continue
        if not isinstance(content, dict):
            if section in fields:
                place(section, content, section)
            else:
                unknown.append(_unknown(section, known_keys))
            continue
        for raw_key, value in content.items():
            key = str(raw_key)
            match = next((c for c in _candidates(section, key) if c in fields), None)
            if match is None:
                unknown.append(_unknown(f"{section}.{key}", known_keys))
            else:
                place(match, value, f"{section}.{key}")
    if unknown:
        raise ConfigurationError(f"{path}: " + "; ".join(unknown))
    return values, origins


def _unknown(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key.replace(".", "_"), known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown setting {key!r}{hint}"
