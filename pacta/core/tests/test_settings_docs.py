"""Every environment variable the settings read is documented (Datasette's habit)."""

import re

from django.conf import settings

DOCS = ["README.md", "docs/operations.md", "docs/watch.md"]


def test_every_variable_of_the_settings_is_documented():
    source = (settings.BASE_DIR / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'env(?:_bool)?\("([A-Z_]+)"', source))
    assert {"DATABASE_URL", "SECRET_KEY", "PACTA_CLOCK"} <= names
    docs = "\n".join((settings.PROJECT_DIR / d).read_text(encoding="utf-8") for d in DOCS)
    missing = sorted(n for n in names if n not in docs)
    assert missing == [], f"document these in README.md or docs/operations.md: {missing}"
