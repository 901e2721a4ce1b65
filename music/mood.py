"""The song mood model's runtime: MOODS and MoodClassifier."""

MOODS = ("calm", "happy", "energetic", "sad")
