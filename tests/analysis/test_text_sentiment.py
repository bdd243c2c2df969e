"""Sentiment tuned for safeguarding feedback: topic words, negation, absent support."""

import pytest

from analysis.text import NEGATIVE_CUTOFF, POSITIVE_CUTOFF, label_for, score_sentiment
from analysis.text._resources import warm

warm()
from textblob import TextBlob  # noqa: E402  (after warm(): its lexicon load warns)


@pytest.mark.parametrize(
    "text",
    [
        "The session on neglect was excellent.",
        "Really useful input on child sexual abuse and exploitation.",
        "Great course on domestic abuse and coercive control, very informative.",
        "Hard subject but the trainer made the harm and risk discussion really helpful.",
        "The trainer explained county lines exploitation brilliantly.",
    ],
)
def test_praise_for_training_on_a_grim_topic_is_positive(text):
    assert score_sentiment(text).label == "positive"


@pytest.mark.parametrize(
    "text",
    [
        "The course covered neglect, abuse, harm and the risk of exploitation.",
        "We discussed concerns about sexual abuse and criminal exploitation.",
        "Referral made to MASH following a disclosure of physical abuse.",
    ],
)
def test_grim_topic_words_alone_leave_a_comment_neutral(text):
    assert score_sentiment(text).label == "neutral"


@pytest.mark.parametrize(
    ("plain", "negated"),
    [
        ("I feel confident making referrals.", "I am not confident at all making referrals."),
        ("The handout was helpful.", "The handout was not helpful."),
        ("The content was relevant to my role.", "I did not find the content relevant to my role."),
        ("The trainer was engaging.", "The trainer wasn't engaging."),
    ],
)
def test_negation_flips_the_sentiment(plain, negated):
    assert score_sentiment(plain).label == "positive"
    assert score_sentiment(negated).label == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "Never had supervision in this role.",
        "No feedback after referrals.",
        "Left to manage the case without support.",
        "There is a lack of guidance on the new process.",
    ],
)
def test_absent_support_reads_negative(text):
    assert score_sentiment(text).label == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "The course ran from 9.30 to 12.30.",
        "Supervision takes place monthly.",
        "The DSL attends the core group meetings.",
        "Three case files were sampled.",
        "I work part time.",
    ],
)
def test_neutral_factual_statements_are_neutral(text):
    result = score_sentiment(text)
    assert result.label == "neutral"
    assert NEGATIVE_CUTOFF < result.polarity < POSITIVE_CUTOFF


@pytest.mark.parametrize(
    "text",
    [
        "The team is understaffed and everyone is overwhelmed.",
        "Far too long for the amount of content.",
        "Good ideas but the reality is that we are stretched and struggling.",
    ],
)
def test_pressure_and_complaints_read_negative(text):
    assert score_sentiment(text).label == "negative"


def test_clearer_is_praise_in_this_field():
    assert score_sentiment("Much clearer on thresholds now.").label == "positive"


@pytest.mark.parametrize(
    "text", ["The food was awful.", "What a wonderful day.", "It was a bad and boring film."]
)
def test_outside_the_domain_it_scores_like_textblob(text):
    assert score_sentiment(text).polarity == pytest.approx(TextBlob(text).sentiment.polarity)


@pytest.mark.parametrize(
    "text", ["", "!!!", "Excellent excellent excellent!!!", "awful, dreadful, terrible!"]
)
def test_scores_stay_in_range_and_agree_with_the_cut_offs(text):
    result = score_sentiment(text)
    assert -1.0 <= result.polarity <= 1.0
    assert 0.0 <= result.subjectivity <= 1.0
    assert result.label == label_for(result.polarity)


def test_cut_offs_are_inclusive():
    assert label_for(POSITIVE_CUTOFF) == "positive"
    assert label_for(NEGATIVE_CUTOFF) == "negative"
    assert label_for(0.0) == "neutral"
