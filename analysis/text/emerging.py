"""Emerging themes: noun phrases no theme covers that are unusually frequent in a period."""

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analysis.text._resources import parse
from analysis.text.codebook import SEED_CODEBOOK, Theme
from analysis.text.coding import STOPWORDS, CompiledCodebook, compile_codebook
from analysis.text.lemma import lemmatise, word_set

#: Pseudo-count added to every cell of the 2x2 table (present/absent x period/background), so
#: a phrase absent from the background gets a large but finite score.
SMOOTHING = 0.5
# Nouns so general that, alone, they never make a theme.
GENERIC_NOUNS = word_set(
    """
    thing things lot lots way day days time people staff child children family families parent
    parents work team role case cases year years week weeks month months example bit part
    information session course training everyone someone anyone something nothing anything
    one ones kind sort number level point issue issues area areas place service services none
    """
)
_KEEP_TAGS = ("JJ", "NN", "VBG", "VBN")
_MAX_WORDS = 4


@dataclass(frozen=True, slots=True)
class CandidateTheme:
    """A phrase offered to analysts as a possible new theme."""

    phrase: str
    key: tuple[str, ...]
    period_count: int
    background_count: int
    score: float
    examples: tuple[str, ...]


def noun_phrases(text: str) -> list[tuple[tuple[str, ...], str]]:
    """(lemma key, surface form) of each noun phrase, from Pattern's offline chunker.

    Determiners, pronouns and numbers are trimmed from the front; the phrase must end in a
    noun; phrases longer than four words are dropped as too specific to recur.
    """
    phrases = []
    for sentence in parse(text).split("\n"):
        chunk: list[tuple[str, str]] = []
        for token in [*sentence.split(" "), "/./O/O"]:
            parts = token.rsplit("/", 3)
            if len(parts) != 4:
                continue
            word, tag, chunk_tag = parts[0].replace("&slash;", "/"), parts[1], parts[2]
            if chunk_tag == "I-NP" and chunk:
                chunk.append((word, tag))
                continue
            if chunk:
                phrases.extend(_phrase(chunk))
            chunk = [(word, tag)] if chunk_tag == "B-NP" else []
    return phrases


def _phrase(chunk: list[tuple[str, str]]) -> list[tuple[tuple[str, ...], str]]:
    """Phrases from one NP chunk: each run of adjectives/nouns that ends in a noun, plus, for
    runs of three or more words, their two-word parts ending in a noun, so "food bank use" and
    "food bank vouchers" both count towards "food bank"."""
    runs: list[list[tuple[str, str]]] = [[]]
    for word, tag in chunk:
        if tag.startswith(_KEEP_TAGS) and any(c.isalpha() for c in word):
            runs[-1].append((word.lower(), tag))
        elif runs[-1]:
            runs.append([])
    phrases = []
    for run in runs:
        while run and not run[-1][1].startswith("NN"):
            run = run[:-1]
        if not run or len(run) > _MAX_WORDS:
            continue
        spans = [run]
        if len(run) >= 3:
            spans += [run[i : i + 2] for i in range(len(run) - 1) if run[i + 1][1].startswith("NN")]
        for span in spans:
            words = [w for w, _ in span]
            if len(words) == 1 and (words[0] in GENERIC_NOUNS or len(words[0]) < 3):
                continue
            key = tuple(lemmatise(w) for w in words if w not in STOPWORDS)
            if key:
                phrases.append((key, " ".join(words)))
    return phrases


def _covered(key: tuple[str, ...], compiled: CompiledCodebook) -> bool:
    """A phrase is covered when, on its own, it would be coded with some theme."""
    parts = [p for k in key for p in k.split("-") if p]
    return bool(compiled.code_keys(parts))


def _document_phrases(texts: Iterable[str]) -> list[dict[tuple[str, ...], str]]:
    return [dict(noun_phrases(text)) for text in texts]


def emerging_themes(
    period_texts: Sequence[str],
    background_texts: Sequence[str],
    codebook: Sequence[Theme] | CompiledCodebook = SEED_CODEBOOK,
    top: int = 10,
    min_count: int = 2,
    examples: int = 3,
) -> list[CandidateTheme]:
    """Noun phrases no theme covers, most distinctive of the period first.

    Counts are of texts containing the phrase. The score is the log-odds ratio of a text
    containing it in the period versus the background, each cell smoothed by SMOOTHING, divided
    by its standard error (a z-score): frequent and distinctive beats rare and lucky. Only
    phrases in at least min_count period texts and commoner than in the background are offered;
    with no background at all, phrases simply rank by how many period texts mention them.
    """
    compiled = compile_codebook(codebook)
    period = _document_phrases(period_texts)
    background = Counter(k for doc in _document_phrases(background_texts) for k in doc)
    in_period: Counter = Counter(k for doc in period for k in doc)
    n_period, n_background = len(period_texts), len(background_texts)
    a = SMOOTHING
    candidates = []
    for key, y_p in in_period.items():
        if y_p < min_count or _covered(key, compiled):
            continue
        y_b = background[key]
        delta = math.log((y_p + a) / (n_period - y_p + a)) - math.log(
            (y_b + a) / (n_background - y_b + a)
        )
        variance = (
            1 / (y_p + a) + 1 / (n_period - y_p + a) + 1 / (y_b + a) + 1 / (n_background - y_b + a)
        )
        score = delta / math.sqrt(variance)
        if n_background and score <= 0:
            continue
        surfaces = Counter(doc[key] for doc in period if key in doc)
        shown = tuple(t for t, doc in zip(period_texts, period, strict=True) if key in doc)
        candidates.append(
            CandidateTheme(
                phrase=surfaces.most_common(1)[0][0],
                key=key,
                period_count=y_p,
                background_count=y_b,
                score=round(score, 3),
                examples=shown[:examples],
            )
        )
    candidates.sort(key=lambda c: (-c.score, -c.period_count, c.phrase))
    chosen: list[CandidateTheme] = []
    for candidate in candidates:
        # "food bank" and "food bank vouchers" are one suggestion, not two.
        if any(_overlaps(candidate.key, c.key) for c in chosen):
            continue
        chosen.append(candidate)
        if len(chosen) == top:
            break
    return chosen


def _overlaps(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return any(long[i : i + len(short)] == short for i in range(len(long) - len(short) + 1))
