"""Training the song mood model (runtime: music.mood)."""
