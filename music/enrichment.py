"""Filling in what songs lack (audio features, covers) from an outside source.

One pipeline for both: the ids are asked for batch by batch, each batch is
stored before the next is asked for (so a fill is resumable: a stored batch no
longer needs asking), a batch that keeps failing is recorded and skipped, a
refusal (the source says this app may not ask) ends the fill, and a rate
limit stops it with what was stored kept.
"""

from dataclasses import dataclass, field

from django.db import transaction

from music.retrying import RateLimited, RequestFailed

# A source that answers these refuses this app: asking again will not help
# (e.g. Spotify's 403 for apps registered since 2024-11-27).
REFUSED = (401, 403, 404)


@dataclass
class Outcome:
    found: int = 0
    missing: int = 0
    errors: list = field(default_factory=list)
    refused: str = ""  # the source refused this app: nothing more to ask
    stopped: str = ""  # rate limited: what was stored stays, rerun later


def fetch_batches(source, ids, outcome, *, ask, label, refused=REFUSED):
    """Yield (batch, {id: value}) per batch of source.batch_size, counting into
    outcome. `ask(batch)` fetches one batch; errors say `label`. The batch
    size is read before each batch: a source may fall back to a slower one.
    RateLimited propagates: the caller stores what it has and stops."""
    position = 0
    while position < len(ids):
        batch = ids[position : position + source.batch_size]
        position += len(batch)
        try:
            found = ask(batch)
        except RequestFailed as exc:
            if exc.status in refused:
                outcome.refused = f"{source.name} refused this app ({exc})"
                return
            outcome.errors.append(f"{label} for {len(batch)} songs: {exc}")
            continue
        outcome.found += len(found)
        outcome.missing += len(batch) - len(found)
        yield batch, found


def fill(source, ids, store, *, ask, label, refused=REFUSED):
    """Fetch and `store(batch, found)` every batch (each in a transaction)."""
    outcome = Outcome()
    try:
        for batch, found in fetch_batches(
            source, ids, outcome, ask=ask, label=label, refused=refused
        ):
            with transaction.atomic():
                store(batch, found)
    except RateLimited as exc:
        outcome.stopped = f"rate limited: {exc}"
    return outcome
