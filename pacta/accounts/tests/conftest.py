import pytest


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The world's five users are made for every test: a slow password hash would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
