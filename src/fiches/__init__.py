"""fiches: factsheets on the external trade of French départements, from customs open data."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fiches")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
