"""How many songs of one mood a visit pages through. A leaf: no models, no pandas.

One number read in three places: the recommender draws each page from a band
of this many best-ranked unseen songs (recommender.selection), the admin and
classify_songs warn about moods with fewer songs than this (music.pool), and
the mood model is measured on this many songs per mood (ml_training.mood.served).
"""

# 8 pages at settings.SONGS_PER_PAGE's default of 6.
SONGS_PER_VISIT = 48
