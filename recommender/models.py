"""What the site keeps of a photo's reading (never the photo), and corrections."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from faces.emotions import EMOTIONS
from music.moods import MOODS
from recommender import wording
from recommender.mapping import MATCH, mood_for
from recommender.wording import adjective, emotion_choices

# The choice that blends every face (weighted by its size); faces are "1", "2"...
GROUP = "group"
# Below this top probability the page admits the model is unsure.
UNCERTAIN_BELOW = 0.4


def new_reading_id():
    """128 random bits, URL-safe: a result URL can be shared but not guessed."""
    return secrets.token_urlsafe(16)


def reading_ttl():
    return timedelta(seconds=settings.READING_TTL_SECONDS)


class ReadingQuerySet(models.QuerySet):
    def fresh(self):
        """Readings younger than READING_TTL_SECONDS: the only ones ever shown."""
        return self.filter(created__gt=timezone.now() - reading_ttl())

    def expired(self):
        return self.filter(created__lte=timezone.now() - reading_ttl())


class Reading(models.Model):
    """What the models read in one photo: its faces, or, with none, its scene.

    Kept for READING_TTL_SECONDS so its result URL can be reloaded and shared;
    the photo itself is never stored (the uploading browser keeps a preview).
    """

    FACE, SCENE = "face", "scene"
    KINDS = [(FACE, "faces"), (SCENE, "scene (no face)")]

    id = models.CharField(
        primary_key=True, max_length=32, default=new_reading_id, editable=False
    )
    kind = models.CharField(max_length=8, choices=KINDS, default=FACE, db_index=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    image_width = models.PositiveIntegerField()
    image_height = models.PositiveIntegerField()
    # [{"box": [x, y, w, h], "probabilities": {emotion: p}}], left to right (by
    # the box's left edge) so that face 1 is the leftmost, as people count.
    faces = models.JSONField()
    # {"1": "fear", "group": "sad"}: the emotion a visitor chose for a choice;
    # {"scene": "calm"}: the mood chosen for a scene.
    corrections = models.JSONField(default=dict, blank=True)
    emotion_model_version = models.CharField(max_length=64, blank=True)
    # A scene reading's {mood: p} in MOODS order (faces is then []).
    scene = models.JSONField(null=True, blank=True)
    scene_model_version = models.CharField(max_length=64, blank=True)

    objects = ReadingQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        if self.is_scene:
            return f"Reading {self.id} (scene)"
        return f"Reading {self.id} ({len(self.faces)} faces)"

    @property
    def is_scene(self):
        return self.kind == self.SCENE

    def scene_pick(self):
        """A scene reading's mood: the visitor's choice, else the model's."""
        return ScenePick(self.scene, self.corrections.get(SCENE_CHOICE, ""))

    @property
    def expires(self):
        return self.created + reading_ttl()

    def choice_keys(self):
        keys = [str(number) for number in range(1, len(self.faces) + 1)]
        return keys + [GROUP] if len(self.faces) >= 2 else keys

    def default_choice(self):
        """A group photo's music follows the group; a portrait's, its face."""
        return GROUP if len(self.faces) >= 2 else "1"

    def pick(self, key=None, direction=MATCH):
        """The Pick for a choice key (default: default_choice()); None if unknown.

        `direction`: recommender.mapping's MATCH or LIFT, what the music does
        with the emotion.
        """
        key = key or self.default_choice()
        if key not in self.choice_keys():
            return None
        if key == GROUP:
            probabilities = blend(self.faces)
        else:
            probabilities = self.faces[int(key) - 1]["probabilities"]
        return Pick(
            key=key,
            probabilities=probabilities,
            corrected=self.corrections.get(key, ""),
            direction=direction,
            face_count=len(self.faces),
        )

    def picks(self, direction=MATCH):
        return [self.pick(key, direction) for key in self.choice_keys()]


def blend(faces):
    """The faces' probabilities averaged, each weighted by its box's area."""
    areas = [face["box"][2] * face["box"][3] for face in faces]
    total = sum(areas) or 1
    return {
        emotion: sum(
            face["probabilities"][emotion] * area
            for face, area in zip(faces, areas, strict=True)
        )
        / total
        for emotion in EMOTIONS
    }


@dataclass(frozen=True)
class Pick:
    """What the music follows: one face, or the whole group, of a reading."""

    key: str
    probabilities: dict
    corrected: str = ""  # the emotion the visitor chose instead, if they did
    direction: str = MATCH  # what the music does with the emotion (mapping)
    face_count: int = 1  # how many faces the reading has

    @property
    def is_group(self):
        return self.key == GROUP

    @property
    def label(self):
        return "Whole group" if self.is_group else f"Face {self.key}"

    @property
    def predicted(self):
        return max(EMOTIONS, key=lambda emotion: self.probabilities[emotion])

    @property
    def confidence(self):
        return self.probabilities[self.predicted]

    @property
    def emotion(self):
        """What the music follows: the visitor's correction wins over the model."""
        return self.corrected or self.predicted

    @property
    def mood(self):
        return mood_for(self.emotion, self.direction)

    @property
    def why(self):
        """Why the music is in its mood, where the names alone don't say it."""
        return wording.why(self.emotion, self.direction)

    @property
    def uncertain(self):
        return not self.corrected and self.confidence < UNCERTAIN_BELOW

    @property
    def adjective(self):
        return adjective(self.emotion)

    @property
    def predicted_adjective(self):
        return adjective(self.predicted)

    @property
    def headline_prefix(self):
        """The words before the emotion, for the visitor who sent the photo."""
        return self.headline_for(own=True)

    def headline_for(self, *, own):
        """The words before the emotion: "You look" [afraid]; "They look" for
        someone else's photo (a shared link)."""
        return wording.headline_prefix(
            is_group=self.is_group,
            face_number=self.key,
            face_count=self.face_count,
            corrected=self.corrected,
            uncertain=self.uncertain,
            own=own,
        )

    @property
    def two_likeliest(self):
        """The two likeliest emotions, offered as choices when the reading is unsure."""
        return [emotion for emotion, _ in self.sorted_probabilities[:2]]

    @property
    def sorted_probabilities(self):
        return sorted(self.probabilities.items(), key=lambda item: -item[1])


# The corrections key of a scene reading's chosen mood.
SCENE_CHOICE = "scene"


@dataclass(frozen=True)
class ScenePick:
    """What the music follows for a photo without faces: the scene's mood."""

    probabilities: dict  # {mood: p}
    corrected: str = ""  # the mood the visitor chose instead, if they did

    @property
    def predicted(self):
        return max(MOODS, key=lambda mood: self.probabilities[mood])

    @property
    def mood(self):
        return self.corrected or self.predicted

    @property
    def confidence(self):
        return self.probabilities[self.predicted]

    @property
    def sorted_probabilities(self):
        return sorted(self.probabilities.items(), key=lambda item: -item[1])


class CorrectionCount(models.Model):
    """How often visitors chose `chosen` where a model read `predicted`.

    Counts only, no link to a reading or a visitor: anonymous by construction.
    Each kind declares `predicted` and `chosen` with its own choices.
    """

    count = models.PositiveIntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["predicted", "chosen"]

    def __str__(self):
        return f"{self.predicted} → {self.chosen}: {self.count}"


class EmotionCorrection(CorrectionCount):
    """A face's emotion, corrected ("Not quite?")."""

    predicted = models.CharField(max_length=10, choices=emotion_choices())
    chosen = models.CharField(max_length=10, choices=emotion_choices())

    class Meta(CorrectionCount.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["predicted", "chosen"], name="one_count_per_correction"
            )
        ]


class SceneCorrection(CorrectionCount):
    """A photo's scene mood, corrected (one tap on another mood)."""

    MOOD_CHOICES = [(mood, mood) for mood in MOODS]
    predicted = models.CharField(max_length=10, choices=MOOD_CHOICES)
    chosen = models.CharField(max_length=10, choices=MOOD_CHOICES)

    class Meta(CorrectionCount.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["predicted", "chosen"], name="one_count_per_scene_correction"
            )
        ]


class ModelReport(models.Model):
    """No table: gives the admin its "Model reports" page (recommender.admin)."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = "model report"

    def __str__(self):
        return "Model reports"
