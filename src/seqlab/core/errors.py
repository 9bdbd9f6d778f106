"""Errors that mean "bad input": stages report them as one clear line and exit 2."""


class ParamsError(ValueError):
    """A value in params.yaml is missing, of the wrong type or out of range."""


class DataError(ValueError):
    """A data file is missing a piece, unreadable, or of the wrong shape or type."""
