"""Every page carries a Content-Security-Policy, and the templates live within it."""

import re

import pytest
from django.urls import reverse

from moodsite.settings import BASE_DIR

TEMPLATES = [
    path
    for app in ("moodsite", "faces", "music", "recommender")
    for path in (BASE_DIR / app / "templates").rglob("*.html")
]


def directives(response):
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["recommender:home", "admin:login"])
def test_pages_allow_only_the_sites_own_scripts(client, name):
    policy = directives(client.get(reverse(name)))

    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["frame-src"] == ["https://open.spotify.com"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_inline_script_or_style_or_handler(template):
    """What the policy would block: a script without src, <style>, onclick=."""
    html = template.read_text()

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)
    assert "javascript:" not in html
