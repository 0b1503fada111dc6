"""lakechat: talk to your lakehouse."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lakechat")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
