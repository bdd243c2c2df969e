"""Sentiment of a text segment: TextBlob's lexicon and averaging, tuned for safeguarding work."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from analysis.text._resources import sentiment_lexicon
from analysis.text.lemma import CLAUSE_BREAKS, lemmatise, tokenise, word_set

SentimentLabel = Literal["positive", "neutral", "negative"]

#: Polarity at or above this is positive, at or below NEGATIVE_CUTOFF negative, else neutral.
#: TextBlob's mildest common praise ("useful") scores 0.3 and a negated mild word ("not
#: relevant") about -0.2, while stray factual adjectives score well under 0.1.
POSITIVE_CUTOFF = 0.1
NEGATIVE_CUTOFF = -0.1

#: Topic words TextBlob scores but which, in this field, name what a comment is about rather
#: than how the writer feels: "the session on neglect was excellent" is praise for training.
NEUTRALISED: frozenset[str] = word_set(
    """
    vulnerable dangerous sexual sexually criminal violent serious significant emotional
    emotionally mental missing complex high hidden young early new first other more most main
    domestic physical alleged dirty safe healthy special educational social primary secondary
    previous closed due common whole large small single least less full old many sad
    professional certain particular honestly critical key
    """
)

#: Field words TextBlob lacks or misjudges, keyed by lemma: (polarity, subjectivity). Grim topic
#: words (abuse, harm, neglect, risk, exploitation, concern) are simply absent from both this
#: table and TextBlob's, so they never move a score.
DOMAIN_WORDS: Mapping[str, tuple[float, float]] = {
    # pressure on practitioners and services
    "overwhelmed": (-0.6, 0.8),
    "overwhelming": (-0.5, 0.8),
    "understaffed": (-0.6, 0.6),
    "short-staffed": (-0.6, 0.6),
    "stretched": (-0.4, 0.6),
    "struggle": (-0.5, 0.6),
    "struggling": (-0.5, 0.6),
    "unmanageable": (-0.7, 0.8),
    "burnout": (-0.6, 0.7),
    "exhausted": (-0.6, 0.8),
    "demoralised": (-0.6, 0.8),
    "stressful": (-0.5, 0.8),
    "stress": (-0.4, 0.6),
    "pressure": (-0.3, 0.5),
    "pressured": (-0.4, 0.6),
    "backlog": (-0.4, 0.3),
    "delay": (-0.4, 0.3),
    "shortage": (-0.4, 0.3),
    "lack": (-0.4, 0.4),
    "lacking": (-0.4, 0.4),
    "gap": (-0.3, 0.3),
    "drift": (-0.3, 0.4),
    "isolated": (-0.4, 0.6),
    "unsupported": (-0.5, 0.7),
    "dismissed": (-0.4, 0.6),
    "ignored": (-0.4, 0.6),
    "silo": (-0.3, 0.4),
    "cancelled": (-0.3, 0.3),
    "reluctant": (-0.3, 0.5),
    "inconsistent": (-0.4, 0.5),
    "unclear": (-0.4, 0.5),
    "unsure": (-0.4, 0.7),
    "confused": (-0.4, 0.7),
    "chase": (-0.2, 0.3),
    # training experience
    "rushed": (-0.4, 0.6),
    "rush": (-0.3, 0.5),
    "clunky": (-0.5, 0.7),
    "unhelpful": (-0.5, 0.6),
    "irrelevant": (-0.4, 0.6),
    "unprepared": (-0.5, 0.6),
    "patronising": (-0.6, 0.9),
    "nightmare": (-0.6, 0.9),
    "unacceptable": (-0.6, 0.8),
    "crash": (-0.4, 0.3),
    "waste": (-0.5, 0.6),
    "helpful": (0.5, 0.5),
    "useful": (0.4, 0.4),
    "clearer": (0.4, 0.5),
    "informative": (0.5, 0.5),
    "insightful": (0.6, 0.7),
    "knowledgeable": (0.6, 0.6),
    "knowledgable": (0.6, 0.6),
    "interactive": (0.3, 0.4),
    "practical": (0.3, 0.4),
    "valuable": (0.6, 0.6),
    "enjoy": (0.5, 0.7),
    "thank": (0.4, 0.5),
    "thanks": (0.4, 0.5),
    "supported": (0.4, 0.5),
    "valued": (0.5, 0.6),
    "approachable": (0.5, 0.6),
    "engaged": (0.3, 0.5),
    "empowered": (0.5, 0.6),
    "reassuring": (0.4, 0.6),
    "reassured": (0.4, 0.6),
    "responsive": (0.4, 0.5),
    "timely": (0.3, 0.4),
    "robust": (0.3, 0.4),
    "eye-opening": (0.5, 0.7),
    "well-paced": (0.5, 0.5),
    "lifeline": (0.5, 0.7),
    "improve": (0.3, 0.4),
    "recommend": (0.4, 0.5),
    "fab": (0.7, 0.9),
    "equipped": (0.4, 0.5),
    "well": (0.3, 0.4),
}

#: Things a practitioner needs: neutral when present, negative when absent ("never had
#: supervision", "no feedback", "without support").
NEEDS: frozenset[str] = word_set(
    """
    supervision support feedback guidance time training response reply help space opportunity
    capacity resource cover clarity consistency contact debrief explanation evidence follow-up
    """
)

#: Polarity and subjectivity of a need that is negated.
_ABSENT_NEED = (-0.4, 0.5)

NEGATORS: frozenset[str] = word_set(
    """
    no not never without cannot nobody none nothing neither nor hardly barely rarely seldom
    lack lacking lacked dont didnt cant wont isnt wasnt havent hasnt doesnt couldnt wouldnt
    shouldnt arent werent aint
    """
)
# "no doubt", "not only": a negator before these does not negate what follows.
_NEGATION_CANCELLERS = frozenset({"only", "doubt", "wonder", "just"})
#: How many tokens a negation reaches forward: "did not find this course relevant".
NEGATION_WINDOW = 4

#: Degree words scale the next scored word and are not scored themselves.
INTENSIFIERS: Mapping[str, float] = {
    "very": 1.3,
    "really": 1.3,
    "so": 1.3,
    "extremely": 1.5,
    "incredibly": 1.5,
    "highly": 1.3,
    "particularly": 1.2,
    "absolutely": 1.5,
    "totally": 1.3,
    "hugely": 1.4,
    "massively": 1.4,
    "super": 1.3,
    "pretty": 1.1,
    "quite": 1.0,
    "fairly": 0.8,
    "rather": 0.9,
    "somewhat": 0.7,
    "slightly": 0.5,
}
# "too long", "too much": excess is a complaint even when the adjective itself is neutral.
_EXCESS = "too"
_EXCESS_POLARITY = -0.35
_EXCESS_TARGETS = word_set(
    "long short much many fast quick slow busy big complex basic late high full small brief heavy"
)
# Words after "but"/"however" usually carry the writer's point, so they count double.
_CONTRAST = frozenset({"but", "however"})
_CONTRAST_WEIGHT = 2.0
_SENTENCE_ENDS = frozenset(".!?")


@dataclass(frozen=True, slots=True)
class Sentiment:
    """Polarity in [-1, 1], subjectivity in [0, 1] and the label the cut-offs give."""

    polarity: float
    subjectivity: float
    label: SentimentLabel


def label_for(polarity: float) -> SentimentLabel:
    """Apply POSITIVE_CUTOFF and NEGATIVE_CUTOFF to a polarity."""
    if polarity >= POSITIVE_CUTOFF:
        return "positive"
    if polarity <= NEGATIVE_CUTOFF:
        return "negative"
    return "neutral"


def _build_lexicon() -> dict[str, tuple[float, float]]:
    """TextBlob's word scores (part-of-speech averaged) with the domain changes applied."""
    merged: dict[str, tuple[float, float]] = {}
    for word, by_tag in sentiment_lexicon().items():
        if word in NEUTRALISED or word in INTENSIFIERS or " " in word:
            continue
        polarity, subjectivity, _intensity = by_tag[None]
        merged[word] = (float(polarity), float(subjectivity))
    merged.update(DOMAIN_WORDS)
    return merged


_LEXICON = _build_lexicon()


def _is_negator(token: str) -> bool:
    return token in NEGATORS or token.endswith("n't")


def score_tokens(tokens: list[str]) -> Sentiment:
    """Score a token list from lemma.tokenise (the fast path analyse() uses)."""
    lexicon = _LEXICON
    # Each scored word: [polarity, subjectivity, weight].
    scored: list[list[float]] = []
    negated_until = intensity_at = excess_at = -10
    intensity = weight = 1.0
    previous = ""
    for i, word in enumerate(tokens):
        if word in CLAUSE_BREAKS:
            negated_until = -10
            if word == "!" and scored:
                scored[-1][0] = max(-1.0, min(1.0, scored[-1][0] * 1.25))
            if word in _SENTENCE_ENDS:
                weight = 1.0
            previous = word
            continue
        if word in _CONTRAST:
            weight = _CONTRAST_WEIGHT
            negated_until = -10
            previous = word
            continue
        if _is_negator(word):
            negated_until = i + NEGATION_WINDOW
            if word not in DOMAIN_WORDS:
                previous = word
                continue
        elif word in _NEGATION_CANCELLERS and _is_negator(previous):
            negated_until = -10
        if word in INTENSIFIERS:
            intensity, intensity_at = INTENSIFIERS[word], i
            previous = word
            continue
        if word == _EXCESS:
            excess_at = i
            previous = word
            continue
        excess = excess_at >= i - 2
        # Fillers, not judgements: "as well", "to be honest".
        filler = (word == "well" and previous == "as") or (word == "honest" and previous == "be")
        previous = word
        if filler:
            continue
        entry = lexicon.get(word)
        if entry is None:
            lemma = lemmatise(word)
            entry = lexicon.get(lemma)
            if entry is None and lemma in NEEDS and i <= negated_until:
                # Already negative: the absence is the point, so it is not flipped again.
                scored.append([_ABSENT_NEED[0], _ABSENT_NEED[1], weight])
                continue
        if entry is None:
            if not (excess and word in _EXCESS_TARGETS):
                continue
            entry = (0.0, 0.3)
        polarity, subjectivity = entry
        if intensity_at >= i - 2:
            polarity = max(-1.0, min(1.0, polarity * intensity))
            subjectivity = min(1.0, subjectivity * intensity)
            intensity_at = -10
        if excess:
            polarity = -max(abs(_EXCESS_POLARITY), abs(polarity))
            excess_at = -10
        elif i <= negated_until and not _is_negator(word):
            # TextBlob's convention: "not good" is mildly bad, "not bad" mildly good.
            polarity *= -0.5
        scored.append([polarity, subjectivity, weight])
    if not scored:
        return Sentiment(0.0, 0.0, "neutral")
    weight_sum = sum(w for _, _, w in scored)
    polarity = max(-1.0, min(1.0, sum(p * w for p, _, w in scored) / weight_sum))
    subjectivity = max(0.0, min(1.0, sum(s * w for _, s, w in scored) / weight_sum))
    return Sentiment(polarity, subjectivity, label_for(polarity))


def score_sentiment(text: str) -> Sentiment:
    """Polarity, subjectivity and label of one text segment, tuned for this field.

    The base is TextBlob's PatternAnalyzer: its word lexicon, the average of the scored
    words, intensifiers that scale the next word, "!" boosting the last one and negation
    turning "good" into -0.5 x good. On top: topic words are neutralised (NEUTRALISED), field
    words added (DOMAIN_WORDS), a negation reaches up to NEGATION_WINDOW words and every scored
    word in it, absent needs score negative ("never had supervision"), "too" + adjective is a
    complaint, degree words (INTENSIFIERS) only scale and are not scored themselves, and the
    rest of a sentence after "but" counts double.
    """
    return score_tokens(tokenise(text))
