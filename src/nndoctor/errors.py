"""Errors nndoctor raises at its public boundaries."""


class UsageError(ValueError):
    """Bad input to nndoctor's API or CLI. The message names the fix."""
