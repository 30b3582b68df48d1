"""Write first_release.json: a dump of a first-release database, with data in every table.

    .venv/bin/python pacta/core/tests/data/make_first_release.py

It makes a SQLite database of its own in a temporary folder (whatever DATABASE_URL
says), migrates it to the first release's state only (the initial migrations),
fills it with the models as they were then (`migration_world.seed_first_release`),
sets the automatic timestamps to one moment so that the dump comes out the same
each time, and writes pacta's rows in Django's JSON format (as `dumpdata` would
have). Passwords are hashed with PBKDF2-SHA256, as the first release stored them,
with few iterations so that the test checks them quickly.

The dump is committed: pacta/core/tests/test_migrations.py loads it at the first
release and migrates it to the latest. Do not rewrite it for a new release — it
stands for the databases that exist out there.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "first_release.json"


def main() -> int:
    sys.path.insert(0, str(HERE.parents[3]))  # the clone, for `pacta`
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/first_release.sqlite3"
        os.environ["DJANGO_SETTINGS_MODULE"] = "pacta.settings"
        import django

        django.setup()
        from django.contrib.auth.hashers import PBKDF2PasswordHasher
        from django.core import serializers

        from pacta.core.tests import migration_world as world

        def hash_password(username: str) -> str:
            salt = f"firstrelease{username}".ljust(22, "0")
            return PBKDF2PasswordHasher().encode(world.PASSWORD, salt, iterations=1000)

        apps = world.migrate(world.FIRST_RELEASE)
        world.seed_first_release(apps, hash_password=hash_password)
        world.freeze_timestamps(apps)
        objects = [obj for label in world.DUMP_ORDER for obj in apps.get_model(label)._base_manager.order_by("pk")]
        text = serializers.serialize("json", objects, indent=1, ensure_ascii=False)
    OUT.write_text(text + "\n", encoding="utf-8")
    print(f"{OUT}: {len(objects)} objects")
    return 0


if __name__ == "__main__":
    sys.exit(main())
