"""The one exception root of dftriage.

    ScannerError
     ├── EvidenceError        evidence cannot be opened or read (names the file and the reason)
     ├── ConfigError          a configuration file or option is invalid (names file and line)
     ├── RuleError            a triage rule is malformed (names file, line and reason)
     ├── KnownSetError        a hash set cannot be imported or loaded
     ├── ModelError           a model is missing, does not match its manifest, or fails to load
     ├── MediaError           a picture or video cannot be decoded (corrupt, truncated, too large)
     └── CaseError            the case database is unusable (locked, newer schema, corrupt)

Backend exceptions (pytsk3, libewf, onnxruntime, sqlite3) are wrapped once, at the
boundary, with the locator or file in the message. Exit codes live only in the CLI.
"""


class ScannerError(Exception):
    """Root of every error dftriage raises on purpose."""


class EvidenceError(ScannerError):
    """Evidence cannot be opened or read."""


class ConfigError(ScannerError):
    """A configuration file or option is invalid."""


class RuleError(ScannerError):
    """A triage rule is malformed."""


class KnownSetError(ScannerError):
    """A hash set cannot be imported or loaded."""


class ModelError(ScannerError):
    """A model is missing, does not match its manifest, or fails to load."""


class MediaError(ScannerError):
    """A picture or video cannot be decoded (corrupt, truncated, too large, not a picture)."""


class CaseError(ScannerError):
    """The case database is unusable."""


def one_line(exc: BaseException, limit: int = 200) -> str:
    """A backend exception's message on one line, cut to `limit`, or its type's name."""
    return " ".join(str(exc).split())[:limit] or type(exc).__name__
