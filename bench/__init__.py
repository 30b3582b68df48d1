"""`make bench`: pacta's speed and memory on a synthetic portfolio, measured against DuckDB.

- `bench.generate`: the seeded portfolio (agreements YAML, events CSV, the extra batch).
- `bench.duckdb_reference`: the same core figures as hand-written DuckDB SQL.
- `bench.run`: runs every measured step in a fresh process and writes docs/benchmarks.md.
"""
