"""The song catalogue import, shared by `import_songs` and the admin's Import CSV.

import_catalogue_file(path) / import_catalogue(binary_stream, name) return an
ImportResult (counts and bad rows with line numbers) or raise UnusableFile.
"""

from music.catalogue.formats import FORMATS
from music.catalogue.importer import (
    ImportResult,
    RowError,
    import_catalogue,
    import_catalogue_file,
)
from music.catalogue.reader import UnusableFile

__all__ = [
    "FORMATS",
    "ImportResult",
    "RowError",
    "UnusableFile",
    "import_catalogue",
    "import_catalogue_file",
]
