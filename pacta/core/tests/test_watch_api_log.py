"""The watcher forgets API token uses older than PACTA_API_LOG_DAYS days."""

import datetime as dt

import pytest
from django.utils import timezone

from pacta.core.actions.api import do_create_api_token
from pacta.core.models import ApiTokenUse
from pacta.core.watch import prune_api_log, run_pass

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.timezone.utc)


def uses(token, *days_ago):
    ApiTokenUse.objects.bulk_create([ApiTokenUse(token=token, at=NOW - dt.timedelta(days=d), method="GET",
                                                 path="/api/v1/me") for d in days_ago])


@pytest.fixture
def tokens(users):
    first, _ = do_create_api_token(acting_user=users["olav"], name="ERP", scopes=["read"])
    second, _ = do_create_api_token(acting_user=users["mona"], name="BI", scopes=["read"])
    return first, second


def test_uses_older_than_the_setting_go_and_the_recent_ones_stay(tokens, settings):
    settings.PACTA_API_LOG_DAYS = 30
    first, second = tokens
    uses(first, 0, 29, 31, 400)
    uses(second, 1, 90)
    assert prune_api_log(NOW) == 3
    kept = sorted((u.token_id, (NOW - u.at).days) for u in ApiTokenUse.objects.all())
    assert kept == sorted([(first.pk, 0), (first.pk, 29), (second.pk, 1)])


def test_zero_keeps_the_whole_log(tokens, settings):
    settings.PACTA_API_LOG_DAYS = 0
    uses(tokens[0], 1, 1000)
    assert prune_api_log(NOW) == 0 and ApiTokenUse.objects.count() == 2


def test_a_watcher_pass_prunes_by_the_wall_clock(tokens, settings):
    settings.PACTA_API_LOG_DAYS = 90
    old = ApiTokenUse.objects.create(token=tokens[0], at=timezone.now() - dt.timedelta(days=91), method="GET",
                                     path="/api/v1/me")
    recent = ApiTokenUse.objects.create(token=tokens[0], at=timezone.now() - dt.timedelta(days=89), method="GET",
                                        path="/api/v1/me")
    report = run_pass(now=NOW - dt.timedelta(days=3650))  # the domain clock far back: the log still ages
    assert report.pruned == 1
    assert list(ApiTokenUse.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not ApiTokenUse.objects.filter(pk=old.pk).exists()
