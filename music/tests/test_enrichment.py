"""music.enrichment: batch by batch, each stored before the next is asked for."""

from types import SimpleNamespace

import pytest

from music.enrichment import fill
from music.retrying import RateLimited, RequestFailed

pytestmark = pytest.mark.django_db  # each batch is stored in a transaction

IDS = [f"id{n}" for n in range(7)]


def source(answers, batch_size=3):
    """A source whose n-th ask gets answers[n]: a dict of what it knows, or an
    exception to raise."""
    asked = []

    def ask(batch):
        asked.append(list(batch))
        answer = answers[len(asked) - 1]
        if isinstance(answer, Exception):
            raise answer
        return {i: answer[i] for i in batch if i in answer}

    return SimpleNamespace(name="stand-in", batch_size=batch_size), ask, asked


def test_each_batch_is_stored_and_a_failing_one_is_recorded_and_skipped():
    known = {i: i.upper() for i in IDS if i != "id1"}
    src, ask, asked = source([known, RequestFailed("HTTP 500", 500), known])
    stored = []
    outcome = fill(src, IDS, lambda b, f: stored.append(f), ask=ask, label="things")
    assert asked == [IDS[0:3], IDS[3:6], IDS[6:7]]
    assert stored == [{"id0": "ID0", "id2": "ID2"}, {"id6": "ID6"}]
    assert (outcome.found, outcome.missing) == (3, 1)
    assert outcome.errors == ["things for 3 songs: HTTP 500"]


def test_a_refusal_ends_the_fill():
    src, ask, asked = source([RequestFailed("HTTP 403", 403)])
    outcome = fill(src, IDS, lambda b, f: None, ask=ask, label="things")
    assert len(asked) == 1
    assert outcome.refused == "stand-in refused this app (HTTP 403)"


def test_a_rate_limit_stops_with_what_was_stored_kept():
    src, ask, _ = source([{"id0": 1}, RateLimited(120)])
    stored = []
    outcome = fill(src, IDS, lambda b, f: stored.append(f), ask=ask, label="things")
    assert stored == [{"id0": 1}]
    assert outcome.stopped == "rate limited: asked to wait 120 s"


def test_the_batch_size_is_read_before_each_batch():
    src, ask, asked = source([{}, {}, {}, {}, {}])

    def ask_then_shrink(batch):
        src.batch_size = 2  # e.g. the covers falling back to oEmbed
        return ask(batch)

    fill(src, IDS, lambda b, f: None, ask=ask_then_shrink, label="things")
    assert [len(batch) for batch in asked] == [3, 2, 2]
