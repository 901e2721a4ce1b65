"""The environment the tests run in, set before Django reads its settings.

pytest.ini loads this module as a plugin (`-p`), which happens before
pytest-django imports moodsite.settings. Tests run with production's settings
(DEBUG off, a strong random SECRET_KEY) except that they speak plain HTTP on
loopback; a test that needs other settings opts in with the `settings` fixture.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("HTTPS", "false")
