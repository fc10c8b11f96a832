"""The exceptions movierec raises.

Library code raises these (wrapping driver errors with ``raise ... from e``);
only the CLI turns them into one-line messages and a non-zero exit code.
"""

from __future__ import annotations


class MovierecError(Exception):
    """Base class of every error movierec raises on purpose."""


class Neo4jUnavailable(MovierecError):
    """The Neo4j server cannot be reached."""


class Neo4jAuthError(MovierecError):
    """The Neo4j server rejected the user name or password."""


class DatabaseNotFound(MovierecError):
    """The named Neo4j database does not exist on the server."""


class UnsupportedServer(MovierecError):
    """The server is not a Neo4j 5.x (or newer) server."""


class LocalServerError(MovierecError):
    """The local Neo4j server could not be resolved, started or stopped."""


class IngestError(MovierecError):
    """A MovieLens release could not be read, validated or loaded."""


class ExportError(MovierecError):
    """A subgraph could not be exported from Neo4j."""


class TrainError(MovierecError):
    """A model could not be trained or evaluated."""


class WritebackError(MovierecError):
    """Results could not be written back into Neo4j."""


class NotFoundError(MovierecError):
    """A user, movie, run or file that was asked for does not exist."""
