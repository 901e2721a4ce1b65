"""The environment the tests run in, set before Django reads its settings.

pytest.ini loads this module as a plugin (`-p`), which happens before
pytest-django imports moodsite.settings. Tests run with production's settings
(DEBUG off, a strong random SECRET_KEY) except that they speak plain HTTP on
loopback; a test that needs other settings opts in with the `settings` fixture.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
# TensorFlow 2.21's oneDNN kernels corrupt the heap when training on some CPUs
# (seen on an AMD EPYC with AVX-512: the tests' tiny training runs die with
# "corrupted size vs. prev_size"); without them the tests' tiny models train
# everywhere, a little slower. Set before any test imports TensorFlow.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("HTTPS", "false")
