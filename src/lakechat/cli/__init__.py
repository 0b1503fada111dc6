"""The `lakechat` command line (typer + rich)."""
