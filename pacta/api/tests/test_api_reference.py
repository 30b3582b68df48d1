"""docs/api.md is the API reference generated from the live schema, and up to date."""

from pacta.api.reference import DOC, current


def test_the_reference_in_the_docs_is_the_current_schema(db):
    assert DOC.read_text() == current(), "docs/api.md is not current: run `pacta apidocs`"


def test_the_reference_names_every_operation_and_its_scope(db):
    text = DOC.read_text()
    for line in ("#### `POST /api/v1/events`", "#### `GET /api/v1/deviations/export`", "Scope: `admin`."):
        assert line in text
