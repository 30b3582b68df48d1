"""Progress bars for long commands: tqdm on a terminal, silence otherwise.

Domain functions report progress as `progress(done, total)`; `bar()` turns
that into a tqdm bar on stderr when it is a terminal (pipes and logs stay
clean).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def bar(label: str, *, stream=None, unit: str = "rows") -> Iterator[Callable[[int, int], None] | None]:
    """Yield a `progress(done, total)` callback drawing a bar, or None when
    `stream` (default stderr) is not a terminal."""
    stream = stream if stream is not None else sys.stderr
    if not getattr(stream, "isatty", lambda: False)():
        yield None
        return
    from tqdm import tqdm

    with tqdm(desc=label, unit=unit, unit_scale=True, file=stream, leave=False) as progress_bar:
        def progress(done: int, total: int) -> None:
            if progress_bar.total != total:
                progress_bar.total = total
            progress_bar.update(done - progress_bar.n)

        yield progress
