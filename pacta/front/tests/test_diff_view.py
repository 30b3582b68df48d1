"""The readable diff between any two versions of an agreement."""

import datetime as dt

import pytest
from django.urls import reverse

from pacta.core.actions.register import CommitmentData, VersionInfo, do_save_commitment
from pacta.front.views.agreements import collapse

REF = "ALFKI-2025"


@pytest.fixture
def amended(in_force, users):
    agreement = in_force.agreement
    data = CommitmentData(key="call-ahead", type="notice_before_delivery", title="Call two hours before each delivery",
                          params={"min_before": "PT2H", "max_before": "PT24H"})
    do_save_commitment(agreement, data, acting_user=users["mona"], expected_revision=agreement.revision,
                       amendment=VersionInfo(effective_from=dt.date(2025, 7, 1), summary="Two hours instead of one",
                                             agreed_by="Maria Anders", agreed_how="signed"))
    return in_force


def test_the_diff_shows_the_lines_removed_and_added(amended, as_user):
    response = as_user("vera").get(reverse("front:agreement_diff", args=[REF]) + "?from=1&to=2")
    text = response.text
    assert response.context["removed"] == 2  # title, min_before (the status is not part of what was agreed)
    assert response.context["added"] == 2
    assert "status:" not in text
    assert '<div class="line del" role="row"><span class="sign" role="cell">−<span class="sr-only">removed</span></span><span role="cell">  min_before: PT1H</span></div>' in text
    assert '<div class="line add" role="row"><span class="sign" role="cell">+<span class="sr-only">added</span></span><span role="cell">  min_before: PT2H</span></div>' in text
    assert "Two hours instead of one" in text and "Maria Anders" in text


def test_the_default_compares_the_latest_version_with_the_one_before(amended, as_user):
    response = as_user("vera").get(reverse("front:agreement_diff", args=[REF]))
    assert (response.context["old"].number, response.context["new"].number) == (1, 2)


def test_any_two_versions_compare_either_way(amended, as_user):
    response = as_user("vera").get(reverse("front:agreement_diff", args=[REF]) + "?from=2&to=1")
    assert response.context["added"] == 2 and response.context["removed"] == 2
    assert "From version 2 to version 1" in response.text


def test_from_nothing_the_whole_version_reads_as_added(world, as_user):
    response = as_user("vera").get(reverse("front:agreement_diff", args=[REF]) + "?from=0&to=1")
    assert response.context["removed"] == 0
    assert response.context["added"] > 10
    assert "Version 1 in full" in response.text


def test_htmx_gets_the_diff_alone_for_the_agreement_page(amended, as_user):
    response = as_user("vera").get(reverse("front:agreement_diff", args=[REF]) + "?from=1&to=2",
                                   HTTP_HX_REQUEST="true", HTTP_HX_TARGET="diff")
    assert response.text.lstrip().startswith('<div class="diff-block">')


def test_an_unknown_version_is_not_found(amended, as_user):
    assert as_user("vera").get(reverse("front:agreement_diff", args=[REF]) + "?from=1&to=7").status_code == 404


def test_long_unchanged_stretches_are_folded_with_context_around_changes():
    lines = [(" ", f"line {i}") for i in range(20)] + [("-", "old"), ("+", "new")] + [(" ", "tail")]
    blocks = collapse(lines)
    # 20 unchanged lines before the change: 17 folded, the last 3 shown as context.
    assert [(b["fold"], len(b["lines"])) for b in blocks] == [(True, 17), (False, 3 + 2 + 1)]
    assert blocks[1]["lines"][:3] == [(" ", "line 17"), (" ", "line 18"), (" ", "line 19")]
