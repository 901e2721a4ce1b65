"""Reading a catalogue file: is it usable text, and its rows with line numbers."""

import codecs
import csv
import io

CHUNK_BYTES = 1024 * 1024


class UnusableFile(ValueError):
    """The whole file cannot be imported; str() says why, for a person."""


def check_text(binary):
    """Refuse empty, binary or non-UTF-8 files before anything is written.

    Returns the number of lines (for the progress bar) and rewinds the stream.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = size = 0
    while chunk := binary.read(CHUNK_BYTES):
        if b"\0" in chunk:
            line = lines + chunk[: chunk.index(b"\0")].count(b"\n") + 1
            raise UnusableFile(f"not a text CSV file (NUL byte on line {line})")
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line = lines + chunk[: exc.start].count(b"\n") + 1
            raise UnusableFile(
                f"not UTF-8 text (invalid byte on line {line}); "
                "save the CSV as UTF-8 and try again"
            ) from None
        lines += chunk.count(b"\n")
        size += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise UnusableFile("not UTF-8 text (the file ends mid-character)") from None
    if size == 0:
        raise UnusableFile("the file is empty")
    binary.seek(0)
    return lines


def numbered_rows(binary):
    """Yield (line number of the row's first line, cells); the header is line 1.

    Blank lines are skipped. csv.Error propagates with its line number in
    `line_number` so the caller can say where the file broke.
    """
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    next_line = 1
    try:
        for cells in reader:
            line, next_line = next_line, reader.line_num + 1
            if cells and any(cell.strip() for cell in cells):
                yield line, cells
    except csv.Error as exc:
        exc.line_number = reader.line_num
        raise
    finally:
        # Leave the caller's binary stream open (uploads are closed by Django).
        text.detach()
