"""The UI speaks English, Dutch, German and Norwegian Bokmål, for real.

Every translatable string of the code is in each catalogue, translated, not
fuzzy, with the same placeholders, and the compiled catalogues (.mo, committed
so that a fresh clone needs no gettext) match their sources.
"""

import re
import sys
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGS = [code for code, _name in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def _po(lang):
    return polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("lang", LANGS)
def test_every_entry_is_translated_and_not_fuzzy(lang):
    po = _po(lang)
    assert len(po) > 100
    missing = [e.msgid for e in po.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert missing == [], f"{lang}: untranslated: {missing[:10]}"
    assert fuzzy == [], f"{lang}: fuzzy: {fuzzy[:10]}"


@pytest.mark.parametrize("lang", LANGS)
def test_translations_keep_the_placeholders(lang):
    for entry in _po(lang).translated_entries():
        if entry.msgid_plural:
            forms = entry.msgstr_plural.values()
            expected = sorted(PLACEHOLDER.findall(entry.msgid_plural)) or sorted(PLACEHOLDER.findall(entry.msgid))
            for text in forms:
                found = sorted(PLACEHOLDER.findall(text))
                assert set(found) <= set(expected) | set(PLACEHOLDER.findall(entry.msgid)), (lang, entry.msgid, text)
        else:
            assert sorted(PLACEHOLDER.findall(entry.msgstr)) == sorted(PLACEHOLDER.findall(entry.msgid)), (
                lang, entry.msgid, entry.msgstr)


@pytest.mark.parametrize("lang", LANGS)
def test_the_compiled_catalogue_matches_its_source(lang):
    po = _po(lang)
    mo = polib.mofile(str(LOCALE / lang / "LC_MESSAGES" / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural)) for e in mo}
    for entry in po.translated_entries():
        got = compiled.get((entry.msgctxt, entry.msgid))
        assert got is not None, f"{lang}: not compiled (run `make messages`): {entry.msgid!r}"
        if entry.msgid_plural:
            assert {int(k): v for k, v in got[1].items()} == {int(k): v for k, v in entry.msgstr_plural.items()}
        else:
            assert got[0] == entry.msgstr, f"{lang}: stale .mo for {entry.msgid!r} (run `make messages`)"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext's xgettext is not installed")
def test_every_translatable_string_of_the_code_is_in_the_catalogues(tmp_path):
    # Extract the code's strings into a copy of the tree and compare the ids.
    tree = tmp_path / "pacta"
    shutil.copytree(settings.BASE_DIR, tree, ignore=shutil.ignore_patterns("__pycache__", "tests", "*.mo"))
    subprocess.run(
        ["django-admin", "makemessages", "-l", "nl", "--no-obsolete", "--no-location", "-v", "0"],
        cwd=tree, check=True, env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
                                   "DJANGO_SETTINGS_MODULE": "pacta.settings", "PYTHONPATH": str(tmp_path)},
    )
    extracted = {(e.msgctxt, e.msgid) for e in polib.pofile(str(tree / "locale/nl/LC_MESSAGES/django.po")) if e.msgid}
    for lang in LANGS:
        present = {(e.msgctxt, e.msgid) for e in _po(lang) if not e.obsolete}
        missing = sorted(m for _c, m in extracted - present)
        assert missing == [], f"{lang}: not in the catalogue (run `make messages`): {missing[:10]}"
