"""Writes to the song pool: the one upsert every source goes through, and the
primary-version flags.

Catalogue import, harvest and fill_features all call upsert_songs(), so a
song is written by one rule wherever it comes from:
- it is matched by spotify_id, so there are never duplicates;
- an empty value (None or "") never blanks a stored one;
- curated fields (mood_override, excluded) and the model's results are never
  written here (but a new song may be held for approval: hold_new); changed
  features only mark the prediction stale;
- has_features, version_key and feature_source are derived here, because bulk
  writes bypass Song.save().
"""

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from music.features import AUDIO_FEATURES
from music.models import CATALOGUE, Song, rank_key
from music.versions import version_key

METADATA_FIELDS = (
    "name",
    "artists",
    "album",
    "album_id",
    "cover_url",
    "preview_url",
    "genre",
    "release_date",
    "popularity",
)
# Everything a source may write; nothing else on a Song is touched.
WRITABLE_FIELDS = METADATA_FIELDS + AUDIO_FEATURES
# Derived from the fields above and written with every bulk update.
BOOKKEEPING_FIELDS = (
    "has_features",
    "feature_source",
    "version_key",
    "mood_model_version",
    "updated",
)


@dataclass
class UpsertOutcome:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    without_features: int = 0
    # Songs that got features or new feature values: the ones to classify.
    features_changed: list = field(default_factory=list)

    def add(self, other):
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.without_features += other.without_features
        self.features_changed += other.features_changed


def clean(values):
    unknown = set(values) - set(WRITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not writable by an upsert: {', '.join(sorted(unknown))}")
    return {name: value for name, value in values.items() if value not in (None, "")}


def derive(song, feature_source, features_changed):
    song.has_features = song.features_complete()
    song.version_key = version_key(song.name, song.artists)
    if features_changed:
        song.feature_source = feature_source
        # The stored prediction was made from other numbers: mark it stale.
        song.mood_model_version = ""


def upsert_songs(records, *, source, feature_source=CATALOGUE, hold_new=False):
    """records: {spotify_id: {field: value}}; all or nothing for the batch.

    `source` labels new songs (Song.source); `feature_source` is recorded on
    songs whose features this call sets or changes. hold_new: new songs wait
    for staff approval (excluded, awaiting_approval) before anyone is served
    them; songs already in the pool stay as they are.
    """
    outcome = UpsertOutcome()
    now = timezone.now()
    with transaction.atomic():
        existing = {
            song.spotify_id: song
            for song in Song.objects.select_for_update().filter(
                spotify_id__in=list(records)
            )
        }
        created, changed, fields_written = [], [], set()
        for spotify_id, values in records.items():
            values = clean(values)
            song = existing.get(spotify_id)
            if song is None:
                song = Song(spotify_id=spotify_id, source=source[:100], **values)
                if hold_new:
                    song.excluded = song.awaiting_approval = True
                features_changed = bool(set(values) & set(AUDIO_FEATURES))
                derive(song, feature_source, features_changed)
                created.append(song)
            else:
                fields = {n for n, v in values.items() if getattr(song, n) != v}
                if not fields:
                    outcome.unchanged += 1
                    outcome.without_features += not song.has_features
                    continue
                for name in fields:
                    setattr(song, name, values[name])
                features_changed = bool(fields & set(AUDIO_FEATURES))
                derive(song, feature_source, features_changed)
                song.updated = now
                changed.append(song)
                fields_written |= fields
            outcome.without_features += not song.has_features
            if features_changed and song.has_features:
                outcome.features_changed.append(spotify_id)
        Song.objects.bulk_create(created)
        if changed:
            Song.objects.bulk_update(
                changed, sorted(fields_written) + list(BOOKKEEPING_FIELDS)
            )
    outcome.new, outcome.updated = len(created), len(changed)
    return outcome


def refresh_primary_versions(*, version_keys=None):
    """Mark the best-ranked song of each (version_key, mood) primary, the rest not.

    Only songs that could be served (features, a mood, not excluded) compete,
    ranked like the recommender ranks them; every other song stays primary so
    that it competes as soon as it becomes servable. Returns rows changed.

    The whole pool (after classification): two UPDATEs with a window
    function, touching only rows whose flag changes. A few keys (after a
    curator's edit): read those songs by the version_key index and decide
    here, which stays a lookup however big the pool is.
    """
    if version_keys is None:
        return _refresh_all()
    keys = sorted(set(version_keys) - {""})
    if not keys:
        return 0
    songs = Song.objects.filter(version_key__in=keys).values_list(
        "pk",
        "version_key",
        "effective_mood",
        "excluded",
        "has_features",
        "mood_score",
        "mood_confidence",
        "is_primary_version",
    )
    groups = {}
    primary = {}
    for pk, key, mood, excluded, has_features, score, confidence, flag in songs:
        primary[pk] = flag
        if mood and has_features and not excluded:
            groups.setdefault((key, mood), []).append(
                (rank_key(score, confidence, pk), pk)
            )
    wanted = dict.fromkeys(primary, True)
    for ranked in groups.values():
        for _, pk in sorted(ranked)[1:]:
            wanted[pk] = False
    changed = [pk for pk, flag in wanted.items() if flag != primary[pk]]
    with transaction.atomic():
        for flag in (True, False):
            pks = [pk for pk in changed if wanted[pk] is flag]
            Song.objects.filter(pk__in=pks).update(is_primary_version=flag)
    return len(changed)


def _refresh_all():
    table = connection.ops.quote_name(Song._meta.db_table)
    shadowed = f"""
        SELECT id FROM (
            SELECT id, ROW_NUMBER() OVER (
                PARTITION BY version_key, effective_mood
                -- music.models.RANKING, in SQL
                ORDER BY COALESCE(mood_score, -1) DESC,
                         COALESCE(mood_confidence, -1) DESC, id
            ) AS position
            FROM {table}
            WHERE excluded = %s AND has_features = %s
              AND effective_mood <> '' AND version_key <> ''
        ) ranked WHERE position > 1
    """
    candidates = [False, True]
    changed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET is_primary_version = %s "
            f"WHERE is_primary_version = %s AND id IN ({shadowed})",
            [False, True, *candidates],
        )
        changed += cursor.rowcount
        cursor.execute(
            f"UPDATE {table} SET is_primary_version = %s "
            f"WHERE is_primary_version = %s AND id NOT IN ({shadowed})",
            [True, False, *candidates],
        )
        changed += cursor.rowcount
    return changed
