"""Two watcher processes on one PostgreSQL: every deviation handled once, every mail sent once."""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from pacta.accounts.models import User
from pacta.core.models import Action, Commitment, Deviation, OutboundMail
from pacta.core.tests.watch_world import parts, smtp, world  # noqa: F401

PACTA = str(Path(sys.executable).parent / "pacta")
DEVIATIONS = 120

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_two_watchers_never_handle_a_deviation_or_send_a_mail_twice(world, smtp):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")
    # Nothing to evaluate, no digests: only the queue of deviations and the outbox.
    Commitment.objects.update(evaluated_at=timezone.now(), next_check_at=None)
    User.objects.update(weekly_digest=False)
    today = timezone.localdate().isoformat()
    # Alternate owners so that each batch mails two people.
    for n in range(DEVIATIONS):
        commitment = world.call_ahead if n % 2 else world.volume
        Deviation.objects.create(commitment=commitment, instance_key=f"K{n:03d}", old_status="open",
                                 new_status="overdue", at=timezone.now(), evidence={"due": today})
    Commitment.objects.filter(pk=world.volume.pk).update(owner=world.nina)
    env = {**os.environ, **smtp.env(), "DATABASE_URL": database_url(),
           "DJANGO_SETTINGS_MODULE": "pacta.core.tests.watch_settings"}
    env.pop("PACTA_CLOCK", None)
    watchers = [subprocess.Popen([PACTA, "watch", "--once"], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
    # Time is not frozen here: the processes run on the real clock.
    outputs = [w.communicate(timeout=300) for w in watchers]
    for watcher, (_out, err) in zip(watchers, outputs):
        assert watcher.returncode == 0, err

    assert Deviation.objects.filter(processed_at__isnull=True).count() == 0
    assert Action.objects.count() == DEVIATIONS  # one per instance, none twice
    assert Deviation.objects.filter(outcome="opened_action", alert__isnull=False).count() == DEVIATIONS
    mails = OutboundMail.objects.all()
    assert {m.status for m in mails} == {"sent"}
    assert len(smtp.messages) == mails.count()  # no mail reached the server twice
    # Every instance is named in exactly one received alert.
    named = Counter(key for message in smtp.messages for key in
                    {f"K{n:03d}" for n in range(DEVIATIONS) if f"K{n:03d}" in parts(message)["text/plain"]})
    assert named == Counter({f"K{n:03d}": 1 for n in range(DEVIATIONS)})
    assert len({m["Message-ID"] for m in smtp.messages}) == len(smtp.messages)


def test_two_watchers_evaluate_each_due_commitment_once(world, smtp):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")
    import datetime as dt
    from decimal import Decimal

    from pacta.core.actions.register import CommitmentData, do_save_commitment
    from pacta.core.models import Event
    from pacta.core.tests.watch_world import VOLUME

    User.objects.update(weekly_digest=False)
    Commitment.objects.update(evaluated_at=timezone.now(), next_check_at=None)
    agreement = world.agreement
    world.agreement.status = "draft"  # edited in place, then back in force
    world.agreement.save()
    for n in range(30):
        agreement.refresh_from_db()
        do_save_commitment(agreement, CommitmentData(**{**VOLUME.__dict__, "key": f"q{n:02d}", "owner": world.olav}),
                           acting_user=world.mona, expected_revision=agreement.revision)
    world.agreement.refresh_from_db()
    world.agreement.status = "in_force"
    world.agreement.save()
    Event.objects.create(source="test", external_id="inv-1", kind="invoice", party=world.party,
                         at=dt.datetime(2025, 1, 20, tzinfo=dt.timezone.utc), date_only=True, ref="INV-1",
                         product="P1", quantity=Decimal(4100), amount=Decimal(4100), currency="EUR")
    env = {**os.environ, **smtp.env(), "DATABASE_URL": database_url(),
           "DJANGO_SETTINGS_MODULE": "pacta.core.tests.watch_settings"}
    env.pop("PACTA_CLOCK", None)
    watchers = [subprocess.Popen([PACTA, "watch", "--once", "--now", "2025-02-15T00:00:00+01:00"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for watcher in watchers:
        _out, err = watcher.communicate(timeout=300)
        assert watcher.returncode == 0, err

    new = Commitment.objects.filter(key__startswith="q")
    assert new.count() == 30 and not new.filter(evaluated_at__isnull=True).exists()
    # 4,100 in half of Q1 is a forecast of 8,200: each new commitment went at
    # risk once, as a whole and in its Q1 — never recorded twice.
    pairs = Counter(Deviation.objects.filter(commitment__in=new).values_list("commitment", "instance_key"))
    assert len(pairs) == 60 and set(pairs.values()) == {1}
    assert Action.objects.filter(commitment__in=new).count() == 30
    assert len(smtp.messages) == OutboundMail.objects.filter(status="sent").count() == OutboundMail.objects.count()
