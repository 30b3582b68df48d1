"""Every kind of change the audit log records has words in the audit log page."""

import ast
from pathlib import Path

from django.conf import settings

from pacta.front.labels import AUDIT_ACTIONS


def recorded_actions() -> set[str]:
    """The action codes passed to `audit(acting_user, "<code>", ...)` anywhere in the code."""
    codes = set()
    for path in Path(settings.BASE_DIR).rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "audit"
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)):
                codes.add(node.args[1].value)
    return codes


def test_the_scan_finds_the_register_actions():
    assert {"create_party", "amend_agreement", "waive_instance"} <= recorded_actions()


def test_every_recorded_action_has_words():
    missing = sorted(recorded_actions() - set(AUDIT_ACTIONS))
    assert missing == [], f"add these to pacta.front.labels.AUDIT_ACTIONS: {missing}"
