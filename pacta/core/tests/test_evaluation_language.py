"""Stored verdicts speak the installation's language, whoever triggered the evaluation."""

import time_machine
from django.utils import translation

from pacta.core.commitments.base import empty_events
from pacta.core.engine import evaluate
from pacta.core.evaluation import evaluate_and_store, specs_from_db
from pacta.core.models import Commitment, Instance
from pacta.core.tests.watch_world import at, world  # noqa: F401

AS_OF = at("2025-03-10T12:00:00+01:00")


def explanations(commitment, language: str) -> tuple[str, str]:
    """The commitment's and its first instance's explanation as the engine words them in `language`."""
    with translation.override(language):
        [result] = evaluate(specs_from_db([commitment]), empty_events(), AS_OF)
    return result.explanation, result.instances[0].explanation


@time_machine.travel("2025-03-10T12:00:00+01:00", tick=False)
def test_an_evaluation_in_a_readers_language_stores_the_installations(world, settings):
    settings.LANGUAGE_CODE = "de"
    with translation.override("nl"):  # a Dutch reader's request, say, triggered it
        evaluate_and_store(commitments=[world.volume], as_of=AS_OF)
        assert translation.get_language() == "nl"  # and the request's language is left as it was
    stored = Commitment.objects.get(pk=world.volume.pk).explanation, Instance.objects.get(commitment=world.volume).explanation
    assert stored == explanations(world.volume, "de")
    assert stored != explanations(world.volume, "nl")
    assert stored != explanations(world.volume, "en")
