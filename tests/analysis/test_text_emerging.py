"""Emerging themes: uncovered noun phrases that stand out in a period against a background."""

from analysis.text import SEED_CODEBOOK
from analysis.text.emerging import emerging_themes, noun_phrases

BACKGROUND = [
    "The trainer was knowledgeable and the case studies were useful.",
    "Referrals to the front door take too long to get a response.",
    "Supervision is regular and helpful.",
    "Caseloads are high and staff are stretched.",
    "The voice of the child was clear in the assessment.",
    "Good joint working with the school nurse.",
    "Neglect cases drift without clear plans.",
    "Our team meeting discussed the new procedures.",
    "The online session was well paced.",
    "Parents said the waiting room felt welcoming.",
] * 3

PERIOD = [
    "Families are struggling with energy bills this winter.",
    "Several parents told us energy bills have doubled.",
    "Energy bills are a worry for the foster carers too.",
    "Neglect referrals have gone up again.",
    "Neglect cases drift without clear plans.",
    "More neglect referrals from schools this term.",
    "The waiting room was cold.",
    "Supervision is regular and helpful.",
]


def test_noun_phrases_come_from_the_offline_chunker_as_lemma_keys():
    phrases = dict(noun_phrases("Families are struggling with energy bills this winter."))
    assert phrases[("energy", "bill")] == "energy bills"


def test_a_planted_new_phrase_emerges_with_example_texts():
    [first, *_] = emerging_themes(PERIOD, BACKGROUND, SEED_CODEBOOK)
    assert first.phrase == "energy bills"
    assert first.period_count == 3 and first.background_count == 0
    assert first.score > 0
    assert first.examples[0] == PERIOD[0] and len(first.examples) == 3


def test_phrases_a_theme_already_covers_are_not_offered():
    offered = {c.phrase for c in emerging_themes(PERIOD, BACKGROUND, SEED_CODEBOOK, top=50)}
    # "neglect referrals" is frequent in the period but neglect and referrals are coded.
    assert not any("neglect" in phrase or "referral" in phrase for phrase in offered)


def test_a_phrase_as_common_in_the_background_is_not_offered():
    offered = {c.phrase for c in emerging_themes(PERIOD, BACKGROUND, top=50, min_count=1)}
    assert "waiting room" not in offered
    assert "energy bills" in offered


def test_top_limits_the_number_of_candidates_and_rare_phrases_need_min_count():
    assert len(emerging_themes(PERIOD, BACKGROUND, top=1)) == 1
    assert emerging_themes(["A single mention of pogo sticks."], BACKGROUND) == []


def test_works_without_a_background():
    [first, *_] = emerging_themes(PERIOD, [], SEED_CODEBOOK)
    assert first.phrase == "energy bills"
