"""Django's deployment checks pass with production settings (issue 7):
`pacta check --deploy`, run as an operator would, with DEBUG off, a long random
SECRET_KEY, the allowed hosts and an https SITE_URL in the environment."""

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PACTA = [sys.executable, "-c", "from pacta.cli import main; main()"]
ROOT = Path(__file__).resolve().parents[3]


def deploy_check(tmp_path, **env) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "PACTA_VAR_DIR": str(tmp_path), "DEBUG": "0",
            "ALLOWED_HOSTS": "pacta.example.com", "SITE_URL": "https://pacta.example.com",
            "SECRET_KEY": secrets.token_urlsafe(50)}
    return subprocess.run([*PACTA, "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT, env=base | env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_the_deployment_checks_pass_with_production_settings(tmp_path):
    done = deploy_check(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout + done.stderr


@pytest.mark.slow
def test_the_deployment_checks_catch_a_missing_secret_key(tmp_path):
    done = deploy_check(tmp_path, SECRET_KEY="")
    assert done.returncode != 0
    assert "security.W009" in done.stderr  # the development key is no secret


@pytest.mark.slow
def test_the_secret_key_may_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text(secrets.token_urlsafe(50) + "\n")
    done = deploy_check(tmp_path, SECRET_KEY="", SECRET_KEY_FILE=str(key_file))
    assert done.returncode == 0, done.stdout + done.stderr
