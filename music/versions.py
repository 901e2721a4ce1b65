"""One key for every version of a song: normalised title + main artist.

"Salió El Sol", "Salio El Sol" and "Salió El Sol - Remastered 2016" by Don
Omar are one song to a listener; catalogues list them under four Spotify ids.
version_key() maps them to the same key so the pool can serve one of them per
visit (see Song.is_primary_version and music.services.refresh_primary_versions).
"""

import re
import unicodedata

# Words that mark a suffix or a bracketed part as "which recording", not the
# title: "- Remastered 2011", "(feat. X)", "- Live at Wembley", "- Radio Edit",
# "(Kygo Remix)", "- Ao Vivo", "- Recorded at Spotify Studios NYC".
VERSION_WORDS = (
    r"remaster\w*|live|ao vivo|en vivo|en directo|version|versao|version|edit|"
    r"edited|mix|remix|mono|stereo|explicit|clean|acoustic|acustico|unplugged|"
    r"re-recorded|rerecorded|recorded|demo|bonus|instrumental|deluxe|single|"
    r"taylor's version|from .*soundtrack|anniversary"
)
# Bracketed parts that name guests or producers: "(feat. X)", "[with Y]".
CREDIT = re.compile(r"^\s*(feat\.?|ft\.?|featuring|with|prod\.?|produced by)\s", re.I)
VERSION = re.compile(rf"\b({VERSION_WORDS})\b", re.I)
BRACKETED = re.compile(r"\s*[\(\[]([^\(\)\[\]]*)[\)\]]")
DASH_SUFFIX = re.compile(r"\s+[-–—]\s+(.*)$")
NOT_WORD = re.compile(r"[^0-9a-z]+")
MAX_LENGTH = 300


def fold(text):
    """Lower case without accents or punctuation: 'Salió  El-Sol!' -> 'salio el sol'."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.casefold().replace("&", " and ")
    return NOT_WORD.sub(" ", text).strip()


def base_title(name):
    """The title without version suffixes and credits, accents kept."""
    title = (name or "").strip()
    # "- Remastered 2011 - Live": strip suffixes from the end while they name a version.
    while match := DASH_SUFFIX.search(title):
        if not VERSION.search(match.group(1)) and not CREDIT.match(match.group(1)):
            break
        title = title[: match.start()]

    def drop_version_brackets(match):
        inside = match.group(1)
        return "" if CREDIT.match(inside) or VERSION.search(inside) else match.group(0)

    title = BRACKETED.sub(drop_version_brackets, title)
    return title.strip() or (name or "").strip()


def main_artist(artists):
    """The first credited artist: 'Don Omar, Lucenzo' -> 'Don Omar'."""
    first = (artists or "").split(",")[0]
    return re.split(r"\s+(?:feat\.?|ft\.?|featuring)\s+", first, flags=re.I)[0]


def version_key(name, artists):
    """'salio el sol|don omar' for every version of Don Omar's Salió El Sol."""
    return f"{fold(base_title(name))}|{fold(main_artist(artists))}"[:MAX_LENGTH]
