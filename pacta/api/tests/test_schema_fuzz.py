"""schemathesis against the live schema of a running pacta: generated requests for every operation,
a bounded number each, never a server error, every answer as the schema documents it.

(The operations are walked here rather than through schemathesis' pytest plugin, which does not
run under this pytest.)"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from pacta.core.actions.api import do_create_api_token

EXAMPLES = 12  # per operation: enough to find the 500s, short enough for every CI run
# Every check but one: a schema-valid request may still be refused (422) by a rule no schema
# states — a party code taken, an end before the start, a change that needs an amendment.
EXCLUDED = [positive_data_acceptance]


def fuzz(operation, headers: dict) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

    run()


@pytest.mark.slow
def test_no_generated_request_makes_a_server_error(live_server, world, settings):
    settings.PACTA_API_RATE_LIMIT = 100_000
    _token, raw = do_create_api_token(acting_user=world.mona, name="fuzz", scopes=["admin"])
    schema = schemathesis.openapi.from_url(live_server.url + "/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:
        fuzz(operation, {"Authorization": f"Bearer {raw}"})
