"""The watcher has status-update drafts ready before they are due, once a day."""

import datetime as dt

import time_machine
from django.core.cache import cache

from pacta.core.models import StatusUpdate
from pacta.core.tests.test_status_updates import NOW, world  # noqa: F401
from pacta.core.watch import prepare_update_drafts


def test_the_watcher_drafts_a_due_update_once_a_day(world):  # noqa: F811
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        # The update is due 15 March 10:00, within a week of 10 March 10:00.
        assert prepare_update_drafts(NOW) == 1
        assert prepare_update_drafts(NOW + dt.timedelta(hours=2)) == 0  # the same day: nothing more
        assert StatusUpdate.objects.filter(party=world.party, status="draft").count() == 1
        assert prepare_update_drafts(NOW + dt.timedelta(days=1)) == 1  # the next day: refreshed
    assert StatusUpdate.objects.count() == 1
