"""Settings for the `pacta watch` process of the fault tests (test_faults.py): the watcher's
test settings, with a mail claim that expires after two seconds, so that a mail whose sending
was not recorded would be sent again within the test (and the test would see it twice)."""

from pacta.core.tests.watch_settings import *  # noqa: F403

PACTA_WATCH_BATCH = 25
PACTA_MAIL_LEASE_SECONDS = 2
