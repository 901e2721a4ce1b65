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
    asked: int = 0  # ids asked for so far, found or not
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
        outcome.asked = position
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


def fill(source, ids, store, *, ask, label, refused=REFUSED, progress=None, every=50):
    """Fetch and `store(batch, found)` every batch (each in a transaction).
    `progress(asked, total, outcome)` is called after every `every` ids and at
    the end."""
    outcome = Outcome()
    reported = 0
    try:
        for batch, found in fetch_batches(
            source, ids, outcome, ask=ask, label=label, refused=refused
        ):
            with transaction.atomic():
                store(batch, found)
            if progress and outcome.asked - reported >= every:
                reported = outcome.asked
                progress(outcome.asked, len(ids), outcome)
    except RateLimited as exc:
        outcome.stopped = f"rate limited: {exc}"
    if progress and reported != outcome.asked:
        progress(outcome.asked, len(ids), outcome)
    return outcome
