"""The admin sign-in is throttled per account and per address (django-axes)."""

import pytest
from django.urls import reverse

LOGIN = reverse("admin:login")


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser(
        "boss", password="right-password-123"
    )


def sign_in(client, password, *, username="boss", address="203.0.113.5"):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
    )


@pytest.mark.django_db
def test_after_the_limit_even_the_right_password_is_refused(
    client, admin_user, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "wrong").status_code == 200  # the form again
    assert sign_in(client, "wrong").status_code == 429

    response = sign_in(client, "right-password-123")

    assert response.status_code == 429
    assert b"Too many" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_account_is_locked_whichever_address_guesses(client, admin_user, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong", address=f"198.51.100.{n + 1}")

    response = sign_in(client, "right-password-123", address="192.0.2.77")

    assert response.status_code == 429


@pytest.mark.django_db
def test_an_address_is_locked_whichever_account_it_tries(client, admin_user, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong", username=f"guess{n}")

    assert sign_in(client, "right-password-123").status_code == 429


@pytest.mark.django_db
def test_a_few_mistakes_then_the_right_password_signs_in(client, admin_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "wrong")

    response = sign_in(client, "right-password-123")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user.pk)
