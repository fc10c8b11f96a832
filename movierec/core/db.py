"""Connecting to Neo4j, with driver errors turned into movierec's own.

Every query names its database; writes go through managed transactions
(``session.execute_write``) so that the driver retries transient failures.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from contextlib import contextmanager
from typing import Any, TypeVar

import neo4j
from neo4j import Driver, GraphDatabase, ManagedTransaction, RoutingControl
from neo4j.exceptions import AuthError, ClientError, DriverError, Neo4jError, ServiceUnavailable

from movierec.core.errors import DatabaseNotFound, MovierecError, Neo4jAuthError, Neo4jUnavailable, UnsupportedServer
from movierec.core.settings import Neo4jSettings

T = TypeVar("T")
logger = logging.getLogger(__name__)

MIN_SERVER_MAJOR = 5


class Graph:
    """A connected Neo4j database: a driver plus the database every query names.

    Args:
        driver (neo4j.Driver): An open driver.
        database (str): The database name.
        uri (str): Where the driver connects (named in error messages). (default: ``"the server"``)

    Example:
        >>> with connect(Neo4jSettings.resolve()) as graph:
        ...     graph.read("MATCH (m:Movie) RETURN count(m) AS n")[0]["n"]
    """

    def __init__(self, driver: Driver, database: str, uri: str = "the server") -> None:
        self.driver = driver
        self.database = database
        self.uri = uri

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.driver.close()

    def read(self, query: str, **params: Any) -> list[neo4j.Record]:
        """Run a read query eagerly and return its records."""
        with _translated(self):
            records, _, _ = self.driver.execute_query(
                query, parameters_=_quiet(params), database_=self.database, routing_=RoutingControl.READ
            )
        return records

    def write(self, query: str, **params: Any) -> list[neo4j.Record]:
        """Run a write query in one managed transaction (retried on transient errors)."""

        def work(tx: ManagedTransaction) -> list[neo4j.Record]:
            return list(tx.run(query, _quiet(params)))

        with _translated(self), self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def write_transaction(self, work: Callable[[ManagedTransaction], T]) -> T:
        """Run ``work`` (several queries, Python between them) in one managed write transaction, retried on transient
        errors: ``work`` must be safe to run again."""
        with _translated(self), self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def write_batches(
        self,
        query: str,
        rows: Iterable[Mapping[str, Any]],
        batch_size: int = 10_000,
        on_batch: Callable[[int], None] | None = None,
        workers: int = 1,
        **params: Any,
    ) -> int:
        """Run ``query`` once per batch of rows, each batch in its own managed transaction.

        The query receives the batch as ``$rows`` (``UNWIND $rows AS row ...``) and any
        extra ``params``.

        Args:
            query (str): Cypher text using ``$rows``.
            rows (Iterable[Mapping]): The rows; consumed lazily.
            batch_size (int): Rows per transaction. (default: ``10000``)
            on_batch (Callable[[int], None], optional): Called with each batch's size after it commits.
            workers (int): Transactions in flight at once (see :meth:`write_many`). (default: ``1``)

        Returns:
            int: The number of rows written.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        return self.write_many(query, _chunks(rows, batch_size), on_batch=on_batch, workers=workers, **params)

    def write_many(
        self,
        query: str,
        batches: Iterable[Sequence[Mapping[str, Any]]],
        on_batch: Callable[[int], None] | None = None,
        workers: int = 1,
        size: Callable[[Sequence[Mapping[str, Any]]], int] = len,
        **params: Any,
    ) -> int:
        """Run ``query`` once per pre-built batch (as ``$rows``), each in its own managed transaction.

        With ``workers > 1`` that many transactions run at once, each in its own session of
        the one (thread-safe) driver: the server then uses more than one core. Batches must
        then be independent of each other (no two write the same relationship). Each batch
        commits whole or not at all; on the first failure no new batch starts, the ones in
        flight finish, and the error is raised.

        Args:
            query (str): Cypher text using ``$rows``.
            batches (Iterable[Sequence[Mapping]]): The batches; consumed lazily (at most
                ``2 * workers`` are held at once).
            on_batch (Callable[[int], None], optional): Called (in this thread) with ``size(batch)``
                after each batch commits.
            workers (int): Transactions in flight at once. (default: ``1``)
            size (Callable): What a batch counts for in the total and ``on_batch``. (default: ``len``)

        Returns:
            int: The sum of ``size`` over the batches written.
        """
        if workers < 1:
            raise ValueError("workers must be at least 1")

        def work(tx: ManagedTransaction, batch: Sequence[Mapping[str, Any]]) -> None:
            tx.run(query, {**_quiet(params), "rows": _Rows(batch)}).consume()

        def write(batch: Sequence[Mapping[str, Any]]) -> int:
            with self.driver.session(database=self.database) as session:
                session.execute_write(work, batch)
            return size(batch)

        total = 0

        def done(n: int) -> None:
            nonlocal total
            total += n
            if on_batch is not None:
                on_batch(n)

        with _translated(self):
            if workers == 1:
                for batch in batches:
                    done(write(batch))
                return total
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="neo4j-write") as pool:
                pending: set[Future[int]] = set()
                try:
                    for batch in batches:
                        if len(pending) >= 2 * workers:
                            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                            for future in finished:
                                done(future.result())
                        pending.add(pool.submit(write, batch))
                    for future in as_completed(pending):
                        done(future.result())
                finally:
                    for future in pending:
                        future.cancel()
        return total

    def stream(self, query: str, fetch_size: int = 10_000, **params: Any) -> Iterator[neo4j.Record]:
        """Iterate a read query's records lazily, ``fetch_size`` at a time, in one read transaction."""
        with _translated(self), self.driver.session(
            database=self.database, fetch_size=fetch_size, default_access_mode=neo4j.READ_ACCESS
        ) as session, session.begin_transaction() as tx:
            yield from tx.run(query, _quiet(params))

    def run_autocommit(self, query: str, **params: Any) -> neo4j.ResultSummary:
        """Run a query in an auto-commit transaction (needed by ``CALL { } IN TRANSACTIONS``)."""
        with _translated(self), self.driver.session(database=self.database) as session:
            return session.run(query, _quiet(params)).consume()


class _Rows(list[Any]):
    """A list parameter as the driver sends it, with a repr that names its size instead of spelling out each item.

    The driver formats every RUN message's parameters for its debug log even when debug logging is off; for a batch
    of embeddings that ``repr`` took more client CPU than packing and sending it (1.3 of 2.2 s staging 26,913 nodes),
    on cores the server needs. Packed exactly like a list.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"


def _quiet(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with every list value wrapped in :class:`_Rows` (every query goes through this)."""
    return {k: _Rows(v) if isinstance(v, list) else v for k, v in params.items()}


def _chunks(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    batch: list[Mapping[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@contextmanager
def _translated(graph: Graph | None, settings: Neo4jSettings | None = None) -> Iterator[None]:
    """Turn the driver's connection errors into movierec's errors, leaving query errors alone."""
    uri = settings.uri if settings else (graph.uri if graph else "the server")
    database = settings.database if settings else (graph.database if graph else "neo4j")
    try:
        yield
    except AuthError as e:
        user = settings.user if settings else "the user"
        raise Neo4jAuthError(
            f"Neo4j at {uri} rejected user {user!r}: wrong user name or password "
            "(set NEO4J_USERNAME/NEO4J_PASSWORD or --user/--password)"
        ) from e
    except ServiceUnavailable as e:
        raise Neo4jUnavailable(
            f"cannot reach Neo4j at {uri}: is it running? Start the local one with `movierec neo4j start`, "
            "or point NEO4J_URI/--uri at yours"
        ) from e
    except ClientError as e:
        if e.code == "Neo.ClientError.Database.DatabaseNotFound":
            raise DatabaseNotFound(
                f"Neo4j at {uri} has no database {database!r} (set NEO4J_DATABASE or --database; "
                "Community edition serves only 'neo4j')"
            ) from e
        raise


def connect(settings: Neo4jSettings) -> Graph:
    """Open a driver, check the server answers, accepts us, is Neo4j 5+, and has the database.

    Args:
        settings (Neo4jSettings): Where to connect.

    Returns:
        Graph: The connected database. Close it (or use it as a context manager).

    Raises:
        Neo4jUnavailable: The server cannot be reached.
        Neo4jAuthError: The user name or password is wrong.
        UnsupportedServer: The server is older than Neo4j 5.
        DatabaseNotFound: The database does not exist.
    """
    if settings.password is None:
        raise Neo4jAuthError(
            f"no password for Neo4j at {settings.uri}: set NEO4J_PASSWORD or --password "
            "(or start the local server with `movierec neo4j start`)"
        )
    try:
        driver = GraphDatabase.driver(settings.uri, auth=(settings.user, settings.password))
    except (ValueError, DriverError) as e:
        raise Neo4jUnavailable(f"{settings.uri!r} is not a Neo4j URI: {e}") from e
    try:
        with _translated(None, settings):
            driver.verify_connectivity()
            agent = driver.get_server_info().agent
            check_server_version(agent, settings.uri)
            driver.execute_query("RETURN 1", database_=settings.database, routing_=RoutingControl.READ)
    except (MovierecError, Neo4jError, DriverError):
        driver.close()
        raise
    logger.info("connected to %s (%s), database %s", settings.uri, agent, settings.database)
    return Graph(driver, settings.database, settings.uri)


def check_server_version(agent: str, uri: str) -> None:
    """Raise :class:`UnsupportedServer` unless ``agent`` (e.g. ``"Neo4j/5.26.30"``) is Neo4j 5 or newer."""
    match = re.match(r"Neo4j/(\d+)\.", agent)
    if match is None:
        raise UnsupportedServer(f"the server at {uri} is not Neo4j (it says {agent!r})")
    if int(match.group(1)) < MIN_SERVER_MAJOR:
        raise UnsupportedServer(
            f"the server at {uri} runs {agent}; movierec needs Neo4j 5 or newer (vector indexes, Cypher 5)"
        )


def count_by_label(graph: Graph, labels: Sequence[str]) -> dict[str, int]:
    """Count nodes per label (labels must come from :mod:`movierec.core.schema`)."""
    from movierec.core.schema import quote

    return {label: graph.read(f"MATCH (n:{quote(label)}) RETURN count(n) AS n")[0]["n"] for label in labels}


def count_by_type(graph: Graph, types: Sequence[str]) -> dict[str, int]:
    """Count relationships per type (types must come from :mod:`movierec.core.schema`)."""
    from movierec.core.schema import quote

    return {t: graph.read(f"MATCH ()-[r:{quote(t)}]->() RETURN count(r) AS n")[0]["n"] for t in types}
