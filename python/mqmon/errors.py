"""The exceptions of mqmon. Every failed job raises a subclass of ``mqmon.Error``, which carries
``reason`` (the message, as the command line prints it) and ``exit_code`` (the code ``mqmon`` would
exit with); a failed monitoring execution also carries ``execution``. The native engine sets each
class's ``exit_code`` from its one table of error kinds when it loads."""


class Error(RuntimeError):
    """A job failed; ``reason`` says why, ``exit_code`` is the command line's code for it."""

    exit_code = 1

    def __init__(self, reason, execution=None):
        super().__init__(reason)
        self.reason = reason
        self.execution = execution


class ConfigError(Error, ValueError):
    """Options, attributes or constraints that do not fit (command line: exit 2)."""


class ParseError(Error):
    """A record or value that cannot be read, with its file, line and attribute (exit 3)."""


class DataError(Error):
    """The data as a whole is unusable, e.g. a third class in a binary problem (exit 3)."""


class NoDataError(DataError):
    """Nothing to evaluate: an empty dataset, no inferences or labels in the window (exit 6)."""


class IoError(Error, OSError):
    """A file or object that cannot be read or written (exit 4)."""
