"""From an agreement's version history to the engine's terms segments.

File mode (agreement files) and database mode (stored versions) describe the
same thing, a commitment's terms version by version; both build their
`Spec.segments` here so that they judge events the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from pacta.core.commitments.base import Params, TermsSegment


@dataclass(frozen=True)
class HistoryEntry:
    """A commitment's terms from one version on; `params` None means the
    commitment was removed in that version."""

    version: int
    effective_from: dt.date
    title: str = ""
    params: Params | None = None
    products: tuple[str, ...] = ()
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @property
    def removed(self) -> bool:
        return self.params is None


def build_segments(history: list[HistoryEntry], *, first_version: int) -> tuple[TermsSegment, ...]:
    """The terms segments of one commitment, oldest first.

    `history` lists the versions in which its terms changed (oldest first);
    `first_version` is the number of the agreement's first version. A
    commitment added by a later version applies from that version's effective
    date unless its own `valid_from` says otherwise. A removal repeats the
    last terms with `removed=True`. Returns () when it never had terms.
    """
    segments: list[TermsSegment] = []
    added_from: dt.date | None = None
    for entry in history:
        if entry.removed:
            if segments and not segments[-1].removed:
                segments.append(replace(segments[-1], effective_from=entry.effective_from,
                                        version=entry.version, removed=True))
            continue
        if not segments and entry.version != first_version:
            added_from = entry.effective_from
        segments.append(
            TermsSegment(
                effective_from=entry.effective_from,
                version=entry.version,
                title=entry.title,
                params=entry.params,
                products=tuple(entry.products),
                valid_from=entry.valid_from or added_from,
                valid_to=entry.valid_to,
            )
        )
    return tuple(segments)
