"""The job's data-sized steps on columns, in an embedded (DuckDB) or distributed (Spark) engine.

`frames` turns records into Arrow tables; `journeys` holds the engine-neutral Ibis expressions
that build every journey's touches; `backends` runs an expression on DuckDB or Spark;
`table` turns the result into the `JourneyTable` the attribution models compute on.
"""
