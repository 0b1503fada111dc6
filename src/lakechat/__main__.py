"""`python -m lakechat` is the `lakechat` command."""

from lakechat.cli.main import run

run()
