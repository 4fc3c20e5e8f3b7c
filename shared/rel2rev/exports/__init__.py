"""Per-run exports: CSV and Parquet tables with documented columns, plus `report.html`.

`write_exports(results)` returns every file of a run (relative name -> bytes) for the job to
upload under `exports/{workspace}/{run_id}/`; `write_exports_to_dir` writes them to a folder.
"""

from rel2rev.exports.bundle import (
    csv_path,
    parquet_path,
    tables_of,
    write_exports,
    write_exports_to_dir,
)

__all__ = ["csv_path", "parquet_path", "tables_of", "write_exports", "write_exports_to_dir"]
