"""Every shell example of docs/connect-your-erp.md runs, as written, against a live pacta with a real token."""

import os
import re
import subprocess
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from pacta.core.actions.api import do_create_api_token
from pacta.core.models import Event
from pacta.core.tests.watch_world import at

GUIDE = Path(settings.PROJECT_DIR) / "docs" / "connect-your-erp.md"
NOW = at("2025-04-01T12:00:00+02:00")


def examples() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", GUIDE.read_text(), flags=re.S)


def test_the_guide_has_examples_to_run():
    assert len(examples()) >= 6


@pytest.mark.skipif(not any(Path(p, "curl").exists() for p in os.environ.get("PATH", "").split(":")),
                    reason="curl is not installed")
def test_every_example_of_the_guide_runs(live_server, world, tmp_path):
    _token, raw = do_create_api_token(acting_user=world.mona, name="ERP", scopes=["read", "events"])
    env = {**os.environ, "PACTA": live_server.url, "TOKEN": raw}
    with time_machine.travel(NOW, tick=True):
        for number, example in enumerate(examples(), start=1):
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", example], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, f"example {number} failed:\n{example}\n{done.stdout}\n{done.stderr}"
            assert '"detail"' not in done.stdout or "Nothing was stored" in done.stdout, done.stdout
    stored = set(Event.objects.values_list("external_id", flat=True))
    assert stored == {"ORD-10248-1", "DLV-10248", "INV-2025-117", "ORD-10249-1"}
    assert (tmp_path / "commitments.csv").read_text().startswith("Agreement,Party")
