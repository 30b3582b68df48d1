"""Settings for `pacta watch` processes started by the watcher's tests: small
batches, so that two watchers interleave, and no digests in the pass."""

from pacta.settings import *  # noqa: F403

PACTA_WATCH_BATCH = 5
PACTA_MAIL_BATCH = 5
PACTA_DIGEST_IN_WATCH = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
