"""Exit 0 when the PostgreSQL server of the given URL answers, 1 otherwise.

Used by `make test` to decide whether the PostgreSQL run happens or is skipped
with one clear line.
"""

import sys

import psycopg


def main(url: str) -> int:
    # Connect to the maintenance database: the test database may not exist yet.
    base = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(base, connect_timeout=3):
            return 0
    except Exception as exc:  # any failure means "not available"
        print(f"PostgreSQL not available at {url}: {exc.__class__.__name__}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
