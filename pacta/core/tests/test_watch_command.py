"""`pacta watch` as a process: one pass, the loop, SIGTERM, the clock override."""

import datetime as dt
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from pacta.core.models import Action, Commitment, Deviation
from pacta.core.tests.watch_world import at, world  # noqa: F401
from pacta.lib import clock

PACTA = str(Path(sys.executable).parent / "pacta")


@pytest.fixture(scope="module")
def process_env(tmp_path_factory):
    """Environment for pacta processes on a migrated SQLite file of their own."""
    var = tmp_path_factory.mktemp("watch")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{var / 'pacta.sqlite3'}", "PACTA_VAR_DIR": str(var),
           "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend", "DJANGO_SETTINGS_MODULE": "pacta.settings"}
    env.pop("PACTA_CLOCK", None)
    subprocess.run([PACTA, "migrate", "-v", "0"], env=env, check=True, timeout=120)
    return env


def read_line_until(proc: subprocess.Popen, text: str, timeout: float = 30) -> str:
    """Lines of the process's output until one contains `text`."""
    seen = []
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            line = proc.stdout.readline()
            seen.append(line)
            if text in line:
                return "".join(seen)
        if proc.poll() is not None:
            break
    raise AssertionError(f"no line with {text!r} in {seen!r}")


def test_sigterm_ends_the_loop_cleanly(process_env):
    proc = subprocess.Popen([PACTA, "watch", "--interval", "60"], env=process_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        read_line_until(proc, "pacta watch is running")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    # It was asleep for a minute: the signal ends the nap at once.
    assert time.monotonic() - started < 10
    assert proc.returncode == 0, err
    assert "Terminated: finishing the current step, then stopping." in out
    assert out.rstrip().endswith("pacta watch stopped.")


def test_once_does_one_pass_and_exits(process_env):
    done = subprocess.run([PACTA, "watch", "--once", "--now", "1998-05-06T18:00:00+02:00"], env=process_env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "pacta watch is running, as of 1998-05-06T18:00:00+02:00.", "pacta watch stopped."]


def test_the_installations_clock_comes_from_pacta_clock(process_env):
    done = subprocess.run([PACTA, "watch", "--once"], env={**process_env, "PACTA_CLOCK": "1998-05-06"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "pacta watch is running, as of 1998-05-06T00:00:00+02:00."


def test_a_moment_without_offset_is_refused(process_env):
    done = subprocess.run([PACTA, "watch", "--once", "--now", "1998-05-06T18:00"], env=process_env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "--now: a timestamp needs an offset" in done.stderr


def test_watch_once_in_process_works_as_of_now_and_restores_the_clock(world):
    Commitment.objects.update(evaluated_at=at("1998-05-01T00:00:00+02:00"), next_check_at=None)
    Deviation.objects.create(commitment=world.call_ahead, instance_key="10643", old_status="open",
                             new_status="overdue", at=at("1998-05-06T18:00:00+02:00"), evidence={"due": "1998-05-05"})
    with time_machine.travel(at("2025-03-10T12:00:00+01:00"), tick=False):
        call_command("watch", once=True, now="1998-05-06T18:00:00+02:00", stdout=open(os.devnull, "w"))
        assert not clock.is_overridden()
    action = Action.objects.get()
    # Opened "as of" the override; overdue gives a day: due 7 May 1998.
    assert (action.opened_at, action.due_on) == (at("1998-05-06T18:00:00+02:00"), dt.date(1998, 5, 7))


def test_watch_refuses_a_bad_moment_in_process(db):
    with pytest.raises(CommandError, match="--now"):
        call_command("watch", once=True, now="yesterday")


def test_a_failed_pass_is_logged_and_the_loop_goes_on_but_once_fails_loudly(monkeypatch, caplog):
    from pacta.core.management.commands import watch as command
    from pacta.core.watch import PassReport

    cmd = command.Command(stdout=open(os.devnull, "w"))
    calls = []

    def flaky(should_stop):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        cmd.stopping = True
        return PassReport(processed=1)

    monkeypatch.setattr(command, "run_pass", flaky)
    monkeypatch.setattr(command, "close_old_connections", lambda: None)
    cmd.loop(once=False, interval=0)
    assert len(calls) == 2
    assert "the watcher's pass failed" in caplog.text
    calls.clear()
    with pytest.raises(RuntimeError):
        command.Command(stdout=open(os.devnull, "w")).loop(once=True, interval=0)
