"""Running the mood model over imported songs, when there is one."""

MODEL_UNAVAILABLE = "mood model unavailable: run classify_songs later"


def classify(queryset, *, progress=False):
    """(counts per mood, "") or (None, warning) when the model cannot run.

    The classification module and model are another part's work and may be
    missing on a fresh checkout; an import must still succeed without them.
    """
    try:
        from music.classification import classify_songs
        from music.mood import ModelNotAvailable
    except ImportError as exc:
        return None, f"{MODEL_UNAVAILABLE} ({exc})"
    try:
        return classify_songs(queryset, progress=progress), ""
    except ModelNotAvailable as exc:
        return None, f"{MODEL_UNAVAILABLE} ({exc})"


def classify_unclassified(*, progress=False):
    """Songs with features that no model (or an older feature set) has seen."""
    from music.models import Song

    return classify(
        Song.objects.filter(has_features=True, mood_model_version=""),
        progress=progress,
    )
