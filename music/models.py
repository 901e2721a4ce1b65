import zlib

from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from music.features import AUDIO_FEATURES, REQUIRED_FEATURES
from music.moods import MOODS
from music.versions import main_artist, version_key

MOOD_CHOICES = [(mood, mood.capitalize()) for mood in MOODS]


# Where a song's audio features came from (Song.feature_source).
CATALOGUE, SPOTIFY, RECCOBEATS = "catalogue", "spotify", "reccobeats"
FEATURE_SOURCE_CHOICES = [
    (CATALOGUE, "Imported catalogue"),
    (SPOTIFY, "Spotify audio-features"),
    (RECCOBEATS, "ReccoBeats"),
]

# The filter every served song passes; the paging index is partial on it, so
# recommendable() must keep exactly these terms for the index to apply.
SERVABLE_VALUES = {"excluded": False, "has_features": True, "is_primary_version": True}
SERVABLE = Q(**SERVABLE_VALUES)
# The order songs are served in within a mood: the mood model's score, then its
# confidence (both 0..1), pk breaking ties so every window is stable. Songs not
# scored yet (a curator's mood before classify_songs) count as -1: last, on
# every database, in a form an index can hold (SQLite has no NULLS LAST there).
UNSCORED = -1.0
# -1 as a literal in the SQL, not a query parameter: SQLite matches an ORDER BY
# to an index expression only when the constants are written the same way.
_UNSCORED_SQL = RawSQL(repr(UNSCORED), ())
RANK_SCORE = Coalesce("mood_score", _UNSCORED_SQL)
RANK_CONFIDENCE = Coalesce("mood_confidence", _UNSCORED_SQL)
RANKING = (RANK_SCORE.desc(), RANK_CONFIDENCE.desc(), F("id").asc())


def rank_key(score, confidence, pk):
    """RANKING in Python (sort ascending): best first, unscored last, pk on ties."""
    return (
        -(UNSCORED if score is None else score),
        -(UNSCORED if confidence is None else confidence),
        pk,
    )


class SongQuerySet(models.QuerySet):
    def recommendable(self):
        """Songs a visitor may be shown: curated in, with features, with a mood,
        and the best-ranked of their versions (one version of a song per visit)."""
        return self.filter(SERVABLE).exclude(effective_mood="")

    def still_in_pool(self, ids, mood):
        """The songs of `ids` that recommendable().in_mood(mood) still holds.

        Fetched by primary key and checked here: with the filters in SQL,
        SQLite's planner picks the paging index and walks the whole mood.
        """
        songs = self.filter(pk__in=ids).order_by()
        return [song for song in songs if song.serves_in(mood)]

    def listeners_own(self, spotify_ids, mood):
        """Of a listener's own tracks, those they may see under `mood`: in the
        pool, or held for staff approval (but not excluded by a curator)."""
        return self.filter(
            Q(excluded=False) | Q(awaiting_approval=True),
            spotify_id__in=spotify_ids,
            has_features=True,
            effective_mood=mood,
        )

    def in_mood(self, mood):
        """Songs whose effective mood is `mood`: the override wins over the model."""
        return self.filter(effective_mood=mood)

    def needing_features(self):
        return self.filter(has_features=False)

    def needing_classification(self, model_version):
        """The one rule for import, harvest, admin and classify_songs: songs with
        features that the model of this version has not classified (new songs,
        songs whose features changed, songs classified by an older model)."""
        return self.filter(has_features=True).exclude(mood_model_version=model_version)

    def needing_cover(self, *, retry_checked=False):
        songs = self.filter(cover_url="")
        return songs if retry_checked else songs.filter(cover_checked_at=None)


class Song(models.Model):
    spotify_id = models.CharField(max_length=22, unique=True)
    name = models.CharField(max_length=500)
    artists = models.CharField(max_length=1000, blank=True)
    album = models.CharField(max_length=500, blank=True)
    album_id = models.CharField(max_length=22, blank=True)
    cover_url = models.URLField(max_length=500, blank=True)
    preview_url = models.URLField(max_length=500, blank=True)
    genre = models.CharField(max_length=100, blank=True, db_index=True)
    release_date = models.CharField(max_length=10, blank=True)
    popularity = models.PositiveSmallIntegerField(null=True, blank=True)

    # Spotify audio features (music.features.AUDIO_FEATURES).
    danceability = models.FloatField(null=True, blank=True)
    acousticness = models.FloatField(null=True, blank=True)
    energy = models.FloatField(null=True, blank=True)
    instrumentalness = models.FloatField(null=True, blank=True)
    liveness = models.FloatField(null=True, blank=True)
    valence = models.FloatField(null=True, blank=True)
    loudness = models.FloatField(null=True, blank=True)
    speechiness = models.FloatField(null=True, blank=True)
    tempo = models.FloatField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    key = models.SmallIntegerField(null=True, blank=True)
    mode = models.SmallIntegerField(null=True, blank=True)
    time_signature = models.SmallIntegerField(null=True, blank=True)
    # Kept in step with the required features by save(); stored so the pool
    # query stays a plain indexed filter.
    has_features = models.BooleanField(default=False, db_index=True)
    feature_source = models.CharField(
        max_length=20, choices=FEATURE_SOURCE_CHOICES, blank=True
    )
    # When a features provider was last asked and had none for this song, so
    # fill_features does not ask again for ever (--retry asks anyway).
    features_checked_at = models.DateTimeField(null=True, blank=True)
    cover_checked_at = models.DateTimeField(null=True, blank=True)

    # What the mood model said, and what a curator said (which wins).
    predicted_mood = models.CharField(
        max_length=10, choices=MOOD_CHOICES, blank=True, db_index=True
    )
    mood_confidence = models.FloatField(null=True, blank=True)
    mood_score = models.FloatField(
        null=True, blank=True, help_text="Ranks songs within their mood; higher first."
    )
    mood_model_version = models.CharField(max_length=64, blank=True)
    classified_at = models.DateTimeField(null=True, blank=True)
    mood_override = models.CharField(
        max_length=10, choices=MOOD_CHOICES, blank=True, db_index=True
    )
    excluded = models.BooleanField(default=False, db_index=True)
    # A connected listener's own top track, new to the pool: shown to them
    # ("From your library") but held out of everyone's songs (excluded) until
    # staff approve it in the admin.
    awaiting_approval = models.BooleanField(default=False, db_index=True)
    # Kept by the database: the mood a visitor gets this song under.
    effective_mood = models.GeneratedField(
        expression=Case(
            When(~Q(mood_override=""), then=F("mood_override")),
            default=F("predicted_mood"),
        ),
        output_field=models.CharField(max_length=10),
        db_persist=True,
    )
    # Normalised title + main artist (music.versions); kept by save() and the
    # upsert service. Of the recommendable songs sharing a key and a mood only
    # the best-ranked is primary (music.services.refresh_primary_versions).
    version_key = models.CharField(max_length=300, blank=True, db_index=True)
    is_primary_version = models.BooleanField(default=True)

    source = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(auto_now=True)

    objects = SongQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            # The paging query: one mood's servable songs in RANKING's order,
            # so a window of the ranking is read from the index, never sorted.
            models.Index(
                F("effective_mood"), *RANKING, condition=SERVABLE, name="song_paging"
            ),
        ]

    def __str__(self):
        return f"{self.name} — {self.artists}" if self.artists else self.name

    def save(self, *args, **kwargs):
        self.has_features = self.features_complete()
        self.version_key = version_key(self.name, self.artists)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "has_features", "version_key"}
        super().save(*args, **kwargs)

    def serves_in(self, mood):
        """Whether recommendable().in_mood(mood) holds this song (as loaded)."""
        servable = all(getattr(self, f) == v for f, v in SERVABLE_VALUES.items())
        return servable and self.effective_mood == mood

    def features_complete(self):
        return all(getattr(self, name) is not None for name in REQUIRED_FEATURES)

    def feature_values(self):
        return {name: getattr(self, name) for name in AUDIO_FEATURES}

    @property
    def mood(self):
        return self.mood_override or self.predicted_mood

    @property
    def initials(self):
        """Up to two initials of the main artist (else the title) for the tile
        shown in place of a missing cover: 'Don Omar' -> 'DO'."""
        words = main_artist(self.artists).split() or (self.name or "").split()
        letters = [next((c for c in word if c.isalnum()), "") for word in words]
        return "".join(letters)[:2].upper() or "♪"

    @property
    def tile_hue(self):
        """A hue (0-359) of the song's own, the same on every page: tiles of
        songs without a cover differ even where the initials are the same."""
        return zlib.crc32((self.spotify_id or str(self.pk)).encode("utf-8")) % 360

    @property
    def spotify_url(self):
        return f"https://open.spotify.com/track/{self.spotify_id}"

    @property
    def embed_url(self):
        return f"https://open.spotify.com/embed/track/{self.spotify_id}"


class HarvestRun(models.Model):
    """One `harvest_songs` run: what it asked Spotify, how far it got, what it found.

    `cursor` holds the resumable position (which source, which offset), saved
    as the run goes so `--resume` continues where a killed run stopped.
    """

    RUNNING = "running"
    FINISHED = "finished"
    RATE_LIMITED = "rate_limited"
    INTERRUPTED = "interrupted"
    FAILED = "failed"
    STATE_CHOICES = [
        (RUNNING, "Running"),
        (FINISHED, "Finished"),
        (RATE_LIMITED, "Stopped: rate limited"),
        (INTERRUPTED, "Interrupted"),
        (FAILED, "Failed"),
    ]

    sources = models.JSONField(default=list, help_text='e.g. [["search", "chill"]]')
    limit = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=STATE_CHOICES, default=RUNNING)
    cursor = models.JSONField(default=dict, blank=True)
    new_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    without_features_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    started = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started"]

    def __str__(self):
        return f"Harvest #{self.pk} ({self.get_state_display()})"
