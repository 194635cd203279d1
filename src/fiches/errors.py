"""Errors a user can cause. The CLI prints them as one line and exits non-zero; bugs still raise."""


class FichesError(Exception):
    """Base class for errors caused by input, network or environment, not by a bug."""

    exit_code = 1


class FetchError(FichesError):
    """A download or an archive was refused. Nothing in the data folder changed."""

    exit_code = 3


class DataError(FichesError):
    """Customs files that are not in the expected layout, or data that is missing."""

    exit_code = 4


class UsageError(FichesError):
    """A bad argument: unknown code, year not in the data..."""

    exit_code = 2


class RenderError(FichesError):
    """A factsheet could not be written (disk full, Chromium missing...)."""

    exit_code = 5


class SetupError(FichesError):
    """The environment lacks something a build needs (what `fiches doctor` reports)."""

    exit_code = 6
