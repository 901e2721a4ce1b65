"""The Spotify audio features: the one list every part of moodsite uses."""

# The mood model needs these; a song without them cannot be classified.
REQUIRED_FEATURES = (
    "danceability",
    "acousticness",
    "energy",
    "instrumentalness",
    "liveness",
    "valence",
    "loudness",
    "speechiness",
    "tempo",
)

# Known for most catalogues but not all (data_moods.csv has no `mode`).
OPTIONAL_FEATURES = ("duration_ms", "key", "mode", "time_signature")

AUDIO_FEATURES = REQUIRED_FEATURES + OPTIONAL_FEATURES

# Spotify reports these as a share between 0 and 1.
UNIT_INTERVAL_FEATURES = tuple(
    name for name in REQUIRED_FEATURES if name not in ("loudness", "tempo")
)
