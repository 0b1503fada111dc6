"""Settings: precedence, config.yaml sections, provenance, masking, production refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from lakechat.api.app import create_app
from lakechat.errors import ConfigurationError
from lakechat.settings import (
    effective_settings,
    is_placeholder,
    load_settings,
    production_problems,
    setting_sources,
)

GOOD_KEY = Fernet.generate_key().decode()


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAKECHAT_HOME")
    settings = load_settings()
    assert settings.server_port == 8000
    assert settings.enable_auth is True
    assert settings.lakechat_home == Path(".lakechat")
    assert settings.state_url.startswith("sqlite:///") and settings.state_url.endswith(
        ".lakechat/lakechat.db"
    )


def test_environment_beats_file_beats_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "config.yaml",
        "server:\n  port: 9001\n  workers: 3\nlogging:\n  level: debug\nfeatures:\n  enable_sql_execution: false\n",
    )
    monkeypatch.setenv("LAKECHAT_CONFIG", str(config))
    monkeypatch.setenv("SERVER_PORT", "9100")
    settings = load_settings()
    assert settings.server_port == 9100  # env wins over the file
    assert settings.server_workers == 3  # file wins over the default
    assert settings.log_level == "DEBUG"
    assert settings.feature_sql_execution is False
    sources = setting_sources(settings)
    assert sources["server_port"] == "env:SERVER_PORT"
    assert sources["server_workers"].endswith("config.yaml:server.workers")
    assert sources["feature_sql_execution"].endswith("features.enable_sql_execution")
    assert sources["query_max_rows"] == "default"


def test_guide_sections_map_onto_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        """
environment: staging
databricks:
  host: https://adb-1.azuredatabricks.net
  token: dapi0123456789abcdef0123456789abcdef
  warehouse_id: abc123
server: {host: 0.0.0.0, port: 8080, timeout: 45}
security:
  enable_auth: true
  api_key_header: X-Custom-Key
  allowed_origins: [http://a.example, http://b.example]
  rate_limit_per_minute: 30
features: {caching: false, batch_operations: false}
logging: {level: WARNING, format: text, log_to_file: true, file_path: /tmp/x.log}
database: {url: "postgresql://u:p@h/db"}
query_max_rows: 77
""",
    )
    monkeypatch.setenv("LAKECHAT_CONFIG", str(config))
    s = load_settings()
    assert s.environment == "staging"
    assert s.databricks_warehouse_id == "abc123"
    assert s.server_host == "0.0.0.0" and s.server_port == 8080 and s.server_timeout == 45
    assert s.api_key_header == "X-Custom-Key"
    assert s.allowed_origins == ["http://a.example", "http://b.example"]
    assert s.rate_limit_per_minute == 30
    assert s.cache_enabled is False and s.feature_batch_operations is False
    assert s.log_format == "text" and s.log_to_file and s.log_file == Path("/tmp/x.log")
    assert s.state_url == "postgresql+psycopg://u:p@h/db"
    assert s.query_max_rows == 77


def test_unknown_config_key_suggests_the_right_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "c.yaml", "security:\n  enable_auht: true\n")
    monkeypatch.setenv("LAKECHAT_CONFIG", str(config))
    with pytest.raises(ConfigurationError, match=r"security.enable_auht.*did you mean enable_auth"):
        load_settings()


def test_invalid_yaml_and_missing_file_are_clear(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "c.yaml", "server: [unclosed\n")
    monkeypatch.setenv("LAKECHAT_CONFIG", str(config))
    with pytest.raises(ConfigurationError, match="cannot read config file"):
        load_settings()
    monkeypatch.setenv("LAKECHAT_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_settings()


def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVER_PORT", "not-a-port")
    with pytest.raises(ConfigurationError, match="SERVER_PORT"):
        load_settings()


def test_table_access_from_json_and_bad_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_ACCESS", '{"analyst": ["samples.tpch.*"], "group:hr": ["main.hr.*"]}')
    assert load_settings().table_access == {
        "analyst": ["samples.tpch.*"],
        "group:hr": ["main.hr.*"],
    }
    monkeypatch.setenv("TABLE_ACCESS", '{"analyst": ["samples.tpch"]}')
    with pytest.raises(ConfigurationError, match=r"TABLE_ACCESS pattern 'samples\.tpch'"):
        load_settings()
    monkeypatch.setenv("TABLE_ACCESS", '{"superuser": ["*.*.*"]}')
    with pytest.raises(ConfigurationError, match="neither a role"):
        load_settings()


def test_comma_separated_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_ORIGINS", "http://a.example, http://b.example")
    assert load_settings().allowed_origins == ["http://a.example", "http://b.example"]


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-real-secret-value")
    monkeypatch.setenv("DATABASE_URL", "postgresql://user:hunter22@db/lakechat")
    values = effective_settings(load_settings())
    assert values["databricks_token"] == "***"
    assert values["database_url"] == "postgresql://user:***@db/lakechat"
    assert "hunter22" not in str(values) and "dapi-real-secret-value" not in str(values)


def test_invalid_encryption_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCRYPTION_KEY", "not-a-fernet-key")
    with pytest.raises(ConfigurationError, match="ENCRYPTION_KEY is not a Fernet key"):
        load_settings()


@pytest.mark.parametrize(
    "value", ["changethis", "your-token", "", "  ", "<your token>", "CHANGEME"]
)
def test_placeholders(value: str) -> None:
    assert is_placeholder(value)


def test_real_values_are_not_placeholders() -> None:
    assert not is_placeholder("dapi0123456789abcdef")


def production(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("ENCRYPTION_KEY", GOOD_KEY)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_production_accepts_safe_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch, DATABRICKS_HOST="https://x", DATABRICKS_TOKEN="dapi0123456789abcdef")
    assert production_problems(load_settings()) == []
    create_app(load_settings(), configure_logs=False)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABRICKS_TOKEN": "changethis"}, "DATABRICKS_TOKEN"),
        ({"DATABRICKS_TOKEN": "your-token"}, "DATABRICKS_TOKEN"),
        ({"ANTHROPIC_API_KEY": ""}, "ANTHROPIC_API_KEY"),
        ({"ENABLE_AUTH": "false"}, "ENABLE_AUTH"),
        ({"ENCRYPTION_KEY": ""}, "ENCRYPTION_KEY"),
        ({"DATABASE_URL": "postgresql://app:changethis@db/lakechat"}, "DATABASE_URL"),
        ({"DATABRICKS_HOST": "https://x"}, "DATABRICKS_TOKEN"),
    ],
)
def test_production_refuses_unsafe_settings(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    production(monkeypatch, **env)
    with pytest.raises(ConfigurationError, match=named):
        create_app(load_settings(), configure_logs=False)


def test_production_needs_an_encryption_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ConfigurationError, match="ENCRYPTION_KEY is not set"):
        create_app(load_settings(), configure_logs=False)


def test_development_allows_auth_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENABLE_AUTH", "false")
    create_app(load_settings(), configure_logs=False)


@pytest.mark.parametrize("password", ["s3cr/et", "pa#ss", "wh?at", "ab@cd"])
def test_url_passwords_with_url_characters_are_masked(
    monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    from lakechat.settings import mask_url, secret_values

    url = f"postgresql://app:{password}@db.example:5432/lakechat"
    assert mask_url(url) == "postgresql://app:***@db.example:5432/lakechat"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FILES_URL", f"sftp://bob:{password}@files/x")
    settings = load_settings()
    shown = str(effective_settings(settings))
    assert password not in shown
    assert password in secret_values(settings)


def test_placeholder_passwords_with_url_characters_are_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    production(monkeypatch, DATABASE_URL="postgresql://app:your-pass/word@db/lakechat")
    assert any("DATABASE_URL" in p for p in production_problems(load_settings()))


def test_placeholders_passed_as_arguments_are_caught() -> None:
    settings = load_settings(
        environment="production", encryption_key=GOOD_KEY, databricks_token="changethis"
    )
    assert any("DATABRICKS_TOKEN" in p for p in production_problems(settings))
