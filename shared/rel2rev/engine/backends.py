"""Where the expressions run: DuckDB in-process (the default), or Spark.

DuckDB works out of core: past its memory limit it spills to a temporary folder. Spark runs
in local mode here (tests, `rel2rev job --engine spark`) and on EMR Serverless in AWS; both
compute in UTC.
"""

from __future__ import annotations

import tempfile
from types import TracebackType
from typing import Any, Literal, Protocol, Self

import ibis
import pyarrow as pa

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "spark")


class Engine(Protocol):
    """Loads Arrow tables and runs Ibis expressions on them."""

    name: EngineName

    def load(self, name: str, table: pa.Table) -> ibis.Table:
        """`table` as the engine's table `name`."""

    def to_arrow(self, expression: ibis.Table) -> pa.Table:
        """The expression's result as one Arrow table."""

    def close(self) -> None:
        """Free what the engine holds for this run."""


class _Closing:
    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Free what the engine holds for this run."""


class DuckDBEngine(_Closing):
    """DuckDB in this process, spilling past `memory_limit` to a temporary folder."""

    name: EngineName = "duckdb"

    def __init__(self, memory_limit: str = "2GB") -> None:
        self._spill = tempfile.TemporaryDirectory(prefix="rel2rev-duckdb-")
        self._con = ibis.duckdb.connect(memory_limit=memory_limit, temp_directory=self._spill.name)

    def close(self) -> None:
        """Close the database and remove its spill folder."""
        self._con.disconnect()
        self._spill.cleanup()

    def load(self, name: str, table: pa.Table) -> ibis.Table:
        """Copy `table` into a temporary DuckDB table."""
        return self._con.create_table(name, obj=table, temp=True, overwrite=True)

    def to_arrow(self, expression: ibis.Table) -> pa.Table:
        """Run on DuckDB."""
        return self._con.to_pyarrow(expression)


class SparkEngine(_Closing):
    """Spark through Ibis, on a local session (`local_spark`)."""

    name: EngineName = "spark"

    def __init__(self) -> None:
        self._session = local_spark()
        self._con = ibis.pyspark.connect(self._session)

    def load(self, name: str, table: pa.Table) -> ibis.Table:
        """`table` as a Spark temporary view."""
        self._session.createDataFrame(table).createOrReplaceTempView(name)
        return self._con.table(name)

    def to_arrow(self, expression: ibis.Table) -> pa.Table:
        """Run on Spark."""
        return self._con.to_pyarrow(expression)


def local_spark(cores: int = 2) -> Any:
    """A local Spark session in UTC, without its web UI."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("rel2rev")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(cores * 2))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def engine(name: EngineName) -> DuckDBEngine | SparkEngine:
    """A fresh engine by name; use it in a `with` block."""
    if name == "spark":
        return SparkEngine()
    return DuckDBEngine()
