"""The "Not quite?" forms: which face (or the group) and which emotion instead;
for a scene, which mood."""

from django import forms

from music.moods import MOODS
from recommender.wording import emotion_choices


class CorrectionForm(forms.Form):
    choice = forms.ChoiceField(
        error_messages={"invalid_choice": "That face isn't in this photo."}
    )
    emotion = forms.ChoiceField(
        choices=emotion_choices(),
        error_messages={
            "required": "Please pick the emotion that fits better.",
            "invalid_choice": "Please pick one of the emotions listed.",
        },
    )

    def __init__(self, *args, reading, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = [(key, key) for key in reading.choice_keys()]


class SceneCorrectionForm(forms.Form):
    """A photo without faces: the mood its music should have instead."""

    mood = forms.ChoiceField(
        choices=[(mood, mood) for mood in MOODS],
        error_messages={
            "required": "Please pick a mood.",
            "invalid_choice": "Please pick one of the four moods.",
        },
    )
