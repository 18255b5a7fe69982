"""Errors the CLI reports as one line on stderr."""


class CliError(Exception):
    """A failure to report as one line, with the exit status to leave with."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
