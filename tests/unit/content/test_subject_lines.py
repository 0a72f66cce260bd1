"""Subject-line checks and the template writer: every variant used is valid, distinct, and the control
comes first; fewer than two usable variants is an error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.llm import SubjectLineError, TemplateSubjectLineWriter, check_subject_line
from connectors.llm.subject_lines import select_variants, subject_from_brief
from schemas.actions import SubjectLineTestParams


@pytest.mark.parametrize("text", [
    "Your November product update",
    "3 ways to cut churn this quarter",
    "Save 20% on annual plans before Friday!",
    "SEO tips for busy teams",
    "Quick question about your $5 plan",
])
def test_good_subject_lines_pass(text: str) -> None:
    assert check_subject_line(text) is None


@pytest.mark.parametrize(("text", "reason"), [
    ("Hi", "shorter than 8"),
    ("x" * 151, "longer than 150"),
    ("HUGE SAVINGS ON EVERYTHING", "shouts"),
    ("Big news: LIMITED TIME offer", "shouts"),
    ("Get it free!!! today", "spammy punctuation"),
    ("Get it free! today", "spam phrases"),
    ("Ready?? Set. Go", "spammy punctuation"),
    ("Wait!... really!", "spammy punctuation"),
    ("See https://acme.example now", "URL"),
    ("Visit www.acme.example today", "URL"),
    ("New on acme.com this week", "URL"),
    ("Hello {first_name}, news", "placeholders"),
    ("Hello %FIRSTNAME%, news inside", "placeholders"),
    ("Hello *|FNAME|*, news inside", "placeholders"),
    ("Your ${product} update", "placeholders"),
    ("Your <b>big</b> update", "markup"),
    ("Re: your account update", "reply or forward"),
    ("FWD: the report you wanted", "reply or forward"),
    ("Act now to keep your discount", "spam phrases"),
    ("Line one\nline two here", "control characters"),
])
def test_bad_subject_lines_are_refused(text: str, reason: str) -> None:
    found = check_subject_line(text)
    assert found is not None and reason in found


def test_template_variants_keep_the_control_first() -> None:
    variants = TemplateSubjectLineWriter().variants("Your November product update", "ignored", 3)
    assert variants == ["Your November product update", "Inside: Your November product update",
                        "A closer look: Your November product update"]
    SubjectLineTestParams(variants=tuple(variants))  # what the action model accepts


def test_subject_is_drawn_from_the_brief_without_one() -> None:
    assert subject_from_brief("Five ways to cut churn. Includes a checklist.") == "Five ways to cut churn"
    long = "word " * 40
    assert len(subject_from_brief(long)) <= 80
    variants = TemplateSubjectLineWriter().variants(None, "Five ways to cut churn. Includes a checklist.", 2)
    assert variants == ["Five ways to cut churn", "Inside: Five ways to cut churn"]


def test_invalid_control_means_no_test() -> None:
    with pytest.raises(SubjectLineError, match="fewer than 2") as caught:
        TemplateSubjectLineWriter().variants("FREE MONEY INSIDE NOW", "", 3)
    assert all("shouts" in why for why in caught.value.rejected.values())
    with pytest.raises(SubjectLineError):
        TemplateSubjectLineWriter().variants(None, "", 2)


def test_count_must_fit_a_split_test() -> None:
    for count in (1, 6):
        with pytest.raises(ValueError, match="2 to 5"):
            TemplateSubjectLineWriter().variants("Your November product update", "", count)


def test_select_drops_invalid_and_repeated() -> None:
    chosen = select_variants(["Spring guide for gardeners", "spring GUIDE for gardeners", "BUY NOW!!!", 7,
                              "Plant this weekend, not later"], 5)
    assert chosen == ["Spring guide for gardeners", "Plant this weekend, not later"]


@given(st.text(max_size=200), st.text(max_size=300), st.integers(min_value=2, max_value=5))
def test_whatever_comes_in_only_valid_variants_come_out(subject: str, brief: str, count: int) -> None:
    try:
        variants = TemplateSubjectLineWriter().variants(subject or None, brief, count)
    except SubjectLineError:
        return
    assert 2 <= len(variants) <= count
    assert all(check_subject_line(v) is None for v in variants)
    assert len({v.casefold() for v in variants}) == len(variants)
    SubjectLineTestParams(variants=tuple(variants))
