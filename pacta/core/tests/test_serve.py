"""`pacta serve`: static files collected, then gunicorn with pacta's WSGI application."""

import sys

from django.core.management import call_command

from pacta.core.management.commands import serve


def test_it_collects_static_files_and_hands_over_to_gunicorn(monkeypatch, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    calls = []
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: calls.append((path, argv)))
    call_command("serve", "--bind", "0.0.0.0:9000", "--workers", "3")
    (path, argv), = calls
    assert path == sys.executable
    assert argv[1:4] == ["-m", "gunicorn", "pacta.wsgi:application"]
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:9000"
    assert argv[argv.index("--workers") + 1] == "3"
    assert any(settings.STATIC_ROOT.rglob("*.css"))  # collectstatic ran before


def test_it_binds_to_this_machine_by_default(monkeypatch, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    calls = []
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: calls.append(argv))
    call_command("serve")
    assert calls[0][calls[0].index("--bind") + 1] == "127.0.0.1:8000"

