"""Importing one catalogue CSV: detect the format, validate rows, upsert in batches."""

import csv
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError
from tqdm import tqdm

from music.catalogue.fields import PARSERS, InvalidValue
from music.catalogue.formats import UnknownFormat, detect_format
from music.catalogue.reader import UnusableFile, check_text, numbered_rows
from music.services import upsert_songs

BATCH_SIZE = 1000
# Enough to fix a file by; a file of nothing but bad rows must not fill memory.
MAX_RECORDED_ERRORS = 1000


@dataclass
class RowError:
    line: int
    reason: str

    def __str__(self):
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportResult:
    source: str
    format_title: str = ""
    rows_read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    skipped: int = 0
    without_features: int = 0
    errors: list = field(default_factory=list)
    # Why the import stopped before the end of the file, if it did.
    aborted: str = ""

    def add_error(self, line, reason):
        self.skipped += 1
        if len(self.errors) < MAX_RECORDED_ERRORS:
            self.errors.append(RowError(line, reason))

    def add_batch(self, outcome):
        self.new += outcome.new
        self.updated += outcome.updated
        self.unchanged += outcome.unchanged
        self.without_features += outcome.without_features

    @property
    def errors_not_recorded(self):
        return self.skipped - len(self.errors)

    def summary(self):
        return (
            f"{self.source}: {self.rows_read} rows read, {self.new} new, "
            f"{self.updated} updated, {self.unchanged} unchanged, "
            f"{self.duplicates} duplicate rows, {self.skipped} skipped (bad rows), "
            f"{self.without_features} without features"
        )


def parse_row(cells, bound, catalogue_format):
    """Cells -> {field: value}, or InvalidValue listing every bad cell."""
    values, problems = {}, []
    for song_field, (column, index) in bound.items():
        try:
            text = cells[index]
            if text in catalogue_format.missing_markers:
                text = ""
            convert = catalogue_format.converters.get(song_field)
            if convert is not None:
                text = convert(text)
            values[song_field] = PARSERS[song_field](text)
        except InvalidValue as exc:
            problems.append(f"{column} {exc}")
    if problems:
        raise InvalidValue("; ".join(problems))
    return values


class CatalogueImport:
    """One file's import; run() returns its ImportResult."""

    def __init__(self, binary, source, *, batch_size=BATCH_SIZE, progress=False):
        self.binary = binary
        self.result = ImportResult(source=source)
        self.batch_size = batch_size
        self.progress = progress
        self.pending = {}
        self.pending_first_line = None
        self.seen_ids = set()
        # Song.source of the songs this file adds, e.g. "csv:spotify_songs.csv".
        self.song_source = f"csv:{source}"[:100]

    def run(self):
        line_count = check_text(self.binary)
        # closing(): stop the row generator before the caller closes the file.
        with closing(numbered_rows(self.binary)) as rows:
            header = self.read_header(rows)
            try:
                catalogue_format = detect_format(header)
            except UnknownFormat as exc:
                raise UnusableFile(str(exc)) from None
            self.result.format_title = catalogue_format.title
            bound = catalogue_format.bind(header)
            with tqdm(
                total=max(line_count - 1, 0),
                desc=self.result.source,
                unit=" lines",
                disable=None if self.progress else True,
            ) as bar:
                self.read_rows(rows, header, bound, catalogue_format, bar)
        return self.result

    def read_header(self, rows):
        try:
            _, header = next(rows)
        except StopIteration:
            raise UnusableFile("the file has no header row") from None
        except csv.Error as exc:
            raise UnusableFile(f"not a readable CSV file: {exc}") from None
        return [column.strip() for column in header]

    def read_rows(self, rows, header, bound, catalogue_format, bar):
        last_line = 1
        try:
            for line, cells in rows:
                bar.update(line - last_line)
                last_line = line
                self.read_row(line, cells, len(header), bound, catalogue_format)
                if len(self.pending) >= self.batch_size and not self.flush():
                    return
        except csv.Error as exc:
            # Rows read so far are complete and valid: keep them, then stop.
            if self.flush():
                self.result.aborted = (
                    f"CSV error on line {exc.line_number}: {exc}; "
                    "the rest of the file was not read"
                )
            return
        self.flush()

    def read_row(self, line, cells, width, bound, catalogue_format):
        self.result.rows_read += 1
        if len(cells) != width:
            self.result.add_error(line, f"has {len(cells)} cells, the header {width}")
            return
        try:
            values = parse_row(cells, bound, catalogue_format)
        except InvalidValue as exc:
            self.result.add_error(line, str(exc))
            return
        spotify_id = values.pop("spotify_id")
        if spotify_id in self.seen_ids:
            # The same track listed again (e.g. in another playlist): first wins.
            self.result.duplicates += 1
            return
        self.seen_ids.add(spotify_id)
        if not self.pending:
            self.pending_first_line = line
        self.pending[spotify_id] = values

    def flush(self):
        """Write the pending batch; False, with `aborted` set, if the DB refused it."""
        if not self.pending:
            return True
        try:
            outcome = upsert_songs(self.pending, source=self.song_source)
        except DatabaseError as exc:
            self.result.aborted = (
                f"database error in the batch starting on line "
                f"{self.pending_first_line}: {exc}. Rows before that line were "
                "saved; that batch and the rest of the file were not"
            )
            return False
        self.result.add_batch(outcome)
        self.pending = {}
        return True


def import_catalogue(binary, source, **options):
    """Import an open binary CSV stream; UnusableFile if it cannot be read at all."""
    return CatalogueImport(binary, source, **options).run()


def import_catalogue_file(path, **options):
    path = Path(path)
    try:
        with path.open("rb") as binary:
            return import_catalogue(binary, path.name, **options)
    except FileNotFoundError:
        raise UnusableFile(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnusableFile(f"{path}: is a directory, not a CSV file") from None
    except PermissionError:
        raise UnusableFile(f"{path}: permission denied") from None
    except UnusableFile as exc:
        raise UnusableFile(f"{path}: {exc}") from None
