"""The song moods and the mood model's file names.

A leaf: the site, the trainers (ml_training/mood) and the benchmarks all read
these facts from here, and importing it loads neither pandas nor TensorFlow
(music.mood, the classifier, re-exports MOODS).
"""

MOODS = ("calm", "happy", "energetic", "sad")
# In settings.MODELS_DIR: the Keras model and the metadata the trainer wrote.
MODEL_FILENAME = "mood_model.keras"
METADATA_FILENAME = "mood_model.json"
# The training plot staff may open in the admin.
CONFUSION_FILENAME = "mood_confusion.png"
