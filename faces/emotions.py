"""The emotions a face can show and the emotion model's file names.

A leaf: the site, the trainers (ml_training/face) and the benchmarks all read
these facts from here, and importing it loads neither NumPy nor TensorFlow.
"""

# The model's softmax, in this order.
EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
# The model reads square gray faces of this many pixels a side.
FACE_SIZE = 48
# In settings.MODELS_DIR: the LiteRT model the site prefers, the Keras fallback
# (needs TensorFlow), and the metrics and version the trainer wrote.
TFLITE_FILE = "emotion_model.tflite"
KERAS_FILE = "emotion_model.keras"
METRICS_FILE = "emotion_model.json"
# The training plots staff may open in the admin.
CONFUSION_FILE = "emotion_confusion.png"
CURVES_FILE = "emotion_curves.png"
