"""The "Not quite?" form: which face (or the group) and which emotion instead."""

from django import forms

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
