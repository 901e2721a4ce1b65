"""What one visit remembers, in its session: the last analysis and the songs seen."""

ANALYSIS_KEY = "moodsite_analysis"
SEEN_KEY = "moodsite_seen_songs"


def remember_analysis(session, *, emotion, probabilities, mood, face_count):
    session[ANALYSIS_KEY] = {
        "emotion": emotion,
        "probabilities": probabilities,
        "mood": mood,
        "face_count": face_count,
    }


def last_analysis(session):
    return session.get(ANALYSIS_KEY)


def seen_songs(session, mood):
    return session.get(SEEN_KEY, {}).get(mood, [])


def record_page(session, page):
    """Add the page's songs to the mood's seen list (reset when the pool restarted)."""
    seen = session.get(SEEN_KEY, {})
    previous = [] if page.started_over else seen.get(page.mood, [])
    seen[page.mood] = previous + [song.pk for song in page.songs]
    session[SEEN_KEY] = seen
