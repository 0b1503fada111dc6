"""The `lakechat` command as a user runs it: real processes, real files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lakechat.settings import Settings


def lakechat(
    *args: str, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    full_env.update(env or {})
    full_env["LAKECHAT_HOME"] = os.environ["LAKECHAT_HOME"]
    full_env.setdefault("COLUMNS", "200")
    return subprocess.run(
        [sys.executable, "-m", "lakechat", *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=input,
        timeout=120,
        check=False,
    )


def ok(*args: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
    result = lakechat(*args, **kwargs)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def test_version() -> None:
    assert ok("version").startswith("lakechat ")
    assert "version" in json.loads(ok("version", "--json"))


def test_config_show_masks_secrets_and_names_sources(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("server:\n  port: 9999\n")
    out = json.loads(
        ok(
            "--config",
            str(config),
            "config",
            "show",
            "--json",
            env={"DATABRICKS_TOKEN": "dapi-very-secret", "QUERY_MAX_ROWS": "50"},
        )
    )
    assert out["databricks_token"] == {"value": "***", "source": "env:DATABRICKS_TOKEN"}
    assert out["query_max_rows"] == {"value": 50, "source": "env:QUERY_MAX_ROWS"}
    assert out["server_port"]["value"] == 9999 and out["server_port"]["source"].endswith(
        "server.port"
    )
    table = ok("config", "show", env={"DATABRICKS_TOKEN": "dapi-very-secret"})
    assert "DATABRICKS_TOKEN" in table and "dapi-very-secret" not in table


def test_config_check_production() -> None:
    result = lakechat("config", "check", "--production", "--json")
    assert result.returncode == 1
    problems = json.loads(result.stdout)["problems"]
    assert any("ENCRYPTION_KEY" in p for p in problems)
    key = ok("keys", "encryption-key").strip()
    assert (
        json.loads(ok("config", "check", "--production", "--json", env={"ENCRYPTION_KEY": key}))[
            "ok"
        ]
        is True
    )


def test_bad_setting_is_a_clear_error() -> None:
    result = lakechat("config", "show", env={"SERVER_PORT": "eighty"})
    assert result.returncode == 1
    assert "SERVER_PORT" in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_unsafe_production() -> None:
    result = lakechat("serve", env={"ENVIRONMENT": "production", "ENABLE_AUTH": "false"})
    assert result.returncode == 1
    assert "ENABLE_AUTH=false" in result.stderr and "ENCRYPTION_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_lifecycle_and_backup_restore(tmp_path: Path) -> None:
    upgraded = json.loads(ok("db", "upgrade", "--json"))
    assert upgraded["to"] and upgraded["backend"] == "sqlite"
    current = json.loads(ok("db", "current", "--json"))
    assert current["up_to_date"] is True
    first = json.loads(ok("keys", "create", "--name", "kept", "--json"))
    backup = json.loads(ok("db", "backup", "--json"))
    assert Path(backup["path"]).exists() and backup["bytes"] > 0
    ok("keys", "create", "--name", "later")
    restored = json.loads(ok("db", "restore", backup["path"], "--yes", "--json"))
    assert Path(restored["safety_backup"]).exists()
    names = [k["name"] for k in json.loads(ok("keys", "list", "--json"))["keys"]]
    assert names == ["kept"]
    assert first["key"].startswith("lc_")
    refused = lakechat("db", "restore", str(tmp_path / "missing.db"), "--yes")
    assert refused.returncode == 1 and "does not exist" in refused.stderr
    downgraded = json.loads(ok("db", "downgrade", "base", "--yes", "--json"))
    assert downgraded["to"] is None


def test_restore_asks_first() -> None:
    ok("db", "upgrade")
    backup = json.loads(ok("db", "backup", "--json"))["path"]
    result = lakechat("db", "restore", backup, input="n\n")
    assert result.returncode == 1 and "cancelled" in result.stderr


def test_keys_create_list_revoke() -> None:
    ok("db", "upgrade")
    created = json.loads(
        ok(
            "keys",
            "create",
            "--name",
            "bi",
            "--tenant",
            "acme",
            "--role",
            "analyst",
            "--expires",
            "30d",
            "--json",
        )
    )
    assert created["tenant"] == "acme" and created["role"] == "analyst" and created["expires_at"]
    human = ok("keys", "create", "--name", "ops", "--scope", "health:read", "--group", "sre")
    assert "not shown again" in human and "lc_" in human
    listed = json.loads(ok("keys", "list", "--json"))["keys"]
    assert [k["name"] for k in listed] == ["bi", "ops"]
    assert listed[1]["scopes"] == ["health:read"] and listed[1]["groups"] == ["sre"]
    assert all("key" not in k for k in listed)
    table = ok("keys", "list")
    assert created["key"] not in table and created["prefix"] in table
    revoked = json.loads(ok("keys", "revoke", created["prefix"], "--json"))
    assert revoked["state"] == "revoked"
    active = json.loads(ok("keys", "list", "--active", "--json"))["keys"]
    assert [k["name"] for k in active] == ["ops"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["keys", "create", "--name", "x", "--role", "root"], "unknown role"),
        (["keys", "create", "--name", "x", "--scope", "data:everything"], "unknown scope"),
        (["keys", "create", "--name", "x", "--expires", "soon"], "--expires"),
        (["keys", "revoke", "nope"], "no API key"),
    ],
)
def test_key_mistakes_are_clear(args: list[str], message: str) -> None:
    ok("db", "upgrade")
    result = lakechat(*args)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_demo_prepares_a_working_admin_key() -> None:
    first = ok("demo", "--no-serve", "--sf", "0.01")
    key_file = Path(os.environ["LAKECHAT_HOME"]) / "demo-api-key"
    key = key_file.read_text().strip()
    assert key in first.replace("\n", "")
    assert oct(key_file.stat().st_mode)[-3:] == "600"
    ok("demo", "--no-serve", "--sf", "0.01")  # idempotent: the same key is reused
    assert key_file.read_text().strip() == key
    listed = json.loads(ok("keys", "list", "--json"))["keys"]
    assert [k["name"] for k in listed] == ["demo-admin"] and listed[0]["role"] == "admin"


def test_sql_runs_guarded_statements(tpch_home: Path) -> None:
    from lakechat.settings import default_lakehouse_path

    env = {"LAKEHOUSE_PATH": str(default_lakehouse_path(tpch_home))}
    assert "25" in ok("sql", "SELECT count(*) FROM samples.tpch.nation", env=env)
    data = json.loads(
        ok("sql", "SELECT r_name FROM samples.tpch.region ORDER BY 1", "--json", env=env)
    )
    assert data["rows"][0] == ["AFRICA"] and data["row_count"] == 5 and data["truncated"] is False
    refused = lakechat("sql", "DROP TABLE samples.tpch.nation", env=env)
    assert (
        refused.returncode == 1
        and "read-only" in refused.stderr
        and "Traceback" not in refused.stderr
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2026-13-01"], "does not match the formats"),
        (["--as-of", "1999-01-01"], "choose a day between"),
        (["--seed", "-5"], "the seed must be between"),
        (["--sf", "0"], "the scale factor must be between"),
        (["--system-scale", "abc"], "give a whole number of usage rows"),
        (["--system-scale", "0"], "the usage row count must be between"),
    ],
)
def test_demo_build_mistakes_are_clear(args: list[str], message: str) -> None:
    result = lakechat("demo", "build", *args)
    assert result.returncode != 0 and message in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_sql_reads_the_system_tables_and_main(tpch_home: Path) -> None:
    from lakechat.settings import default_lakehouse_path

    env = {"LAKEHOUSE_PATH": str(default_lakehouse_path(tpch_home))}
    names = json.loads(
        ok("sql", "SELECT workspace_name FROM system.access.workspaces_latest ORDER BY 1",
           "--json", env=env)
    )  # fmt: skip
    assert [row[0] for row in names["rows"]] == ["dev-sandbox", "ml-platform", "prod-analytics"]
    assert "2000" in ok("sql", "SELECT count(*) FROM main.learning.students", env=env)
    missing = lakechat("sql", "SELECT * FROM system.billing.nope", env=env)
    assert (
        missing.returncode == 1 and "nope" in missing.stderr and "__lakechat" not in missing.stderr
    )


def test_sql_counts_rows_in_words(tpch_home: Path) -> None:
    from lakechat.settings import default_lakehouse_path

    env = {"LAKEHOUSE_PATH": str(default_lakehouse_path(tpch_home))}
    assert "1 row in" in ok("sql", "SELECT 1", env=env)
    assert "5 rows in" in ok("sql", "SELECT * FROM samples.tpch.region", env=env)
