"""A bounded fuzz of the catalogue import: whatever the file, a clear answer.

Property: an import either refuses the whole file (UnusableFile, with a reason)
or accounts for every row, each bad one with a real line number, and stores
exactly the songs it says are new. Never another exception.
"""

import csv
import io
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from music.catalogue import UnusableFile, import_catalogue
from music.models import Song
from music.tests.conftest import HEADERS, tidytuesday_row

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# What a cell may hold: good values, near misses and plain junk.
CELLS = st.one_of(
    st.sampled_from(["", "NA", "nan", "inf", "-1e309", "0", "1.5", "-3", "x" * 600]),
    st.text(max_size=30),
    st.floats(allow_nan=True).map(str),
    st.integers(-(10**12), 10**12).map(str),
)


@st.composite
def tidytuesday_files(draw):
    """A TidyTuesday header and rows of good rows with some cells fuzzed."""
    header = HEADERS["tidytuesday"]
    lines = [header]
    for n in range(draw(st.integers(0, 8))):
        row = tidytuesday_row(draw(st.integers(1, 6)))  # repeats: duplicates
        cells = [row[column] for column in header]
        for index in draw(st.sets(st.integers(0, len(header) - 1), max_size=4)):
            cells[index] = draw(CELLS)
        if draw(st.booleans()) and n % 3 == 0:
            cells = cells[: draw(st.integers(0, len(cells)))]  # a short row
        lines.append(cells)
    text = io.StringIO()
    csv.writer(text).writerows(lines)
    return text.getvalue().encode()


_ROW = (
    b"Artist 1,66,Alb0000000000000000001,Album 1,2019-06-14,Pop Remix,"
    b"37i9dQZF1DXcZDD7cfEKhW,pop,dance pop,0.748,0.916,6,-2.634,1,0.0583,0.102,"
    b"0,0.0653,0.518,122.036,194754"
)
LONE_CARRIAGE_RETURNS = (
    b"track_id,track_name,track_artist,track_popularity,track_album_id,"
    b"track_album_name,track_album_release_date,playlist_name,playlist_id,"
    b"playlist_genre,playlist_subgenre,danceability,energy,key,loudness,mode,"
    b"speechiness,acousticness,instrumentalness,liveness,valence,tempo,"
    b"duration_ms\r\n"
    b'"\r","\r",' + _ROW + b"\r\n"
    b",Song 1," + _ROW + b"\r\n"
)


def run_import(data):
    """The ImportResult, or the UnusableFile that refused the whole file."""
    Song.objects.all().delete()
    try:
        return import_catalogue(io.BytesIO(data), "fuzz.csv")
    except UnusableFile as refused:
        assert str(refused)
        assert not Song.objects.exists()
        return refused


def line_count(data):
    # Lines as the importer reads them (universal newlines): \r\n, \n or a
    # lone \r ends one, also inside a quoted field.
    return len(re.findall(rb"\r\n|\r|\n", data)) + 1


@pytest.mark.django_db
@FUZZ
@given(data=tidytuesday_files())
# A lone carriage return in quoted cells: each ends a line for the importer.
@example(data=LONE_CARRIAGE_RETURNS)
def test_fuzzed_rows_are_imported_or_refused_with_their_line(data):
    result = run_import(data)
    if isinstance(result, UnusableFile):
        # A good header, so only a cell can make the whole file unusable (a
        # NUL byte, say): the reason says on which line.
        line = int(re.search(r"line (\d+)", str(result)).group(1))
        assert 2 <= line <= line_count(data)
        return
    assert result.rows_read == result.new + result.duplicates + result.skipped
    assert len(result.errors) == result.skipped
    assert all(2 <= error.line <= line_count(data) for error in result.errors)
    assert all(str(error).startswith(f"line {error.line}: ") for error in result.errors)
    assert Song.objects.count() == result.new


@pytest.mark.django_db
@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        st.builds(
            lambda head, tail: head + tail,
            st.sampled_from([",".join(h).encode() + b"\n" for h in HEADERS.values()]),
            st.binary(max_size=200),
        ),
    )
)
def test_any_bytes_get_a_result_or_a_reason(data):
    result = run_import(data)
    if not isinstance(result, UnusableFile):
        assert result.rows_read == result.new + result.duplicates + result.skipped
        assert Song.objects.count() == result.new
