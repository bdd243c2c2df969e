"""Tokens and lemmas for matching: a small suffix-rule lemmatiser checked against a word list."""

import re
from functools import lru_cache

from analysis.text._resources import brill_lexicon

# Irregular forms the suffix rules cannot reach, and words the rules would mangle.
EXCEPTIONS: dict[str, str] = {
    "children": "child",
    "childrens": "child",
    "men": "man",
    "women": "woman",
    "people": "people",
    "staff": "staff",
    "was": "be",
    "were": "be",
    "is": "be",
    "are": "be",
    "been": "be",
    "being": "be",
    "am": "be",
    "has": "have",
    "had": "have",
    "having": "have",
    "does": "do",
    "did": "do",
    "done": "do",
    "goes": "go",
    "went": "go",
    "gone": "go",
    "felt": "feel",
    "made": "make",
    "taught": "teach",
    "thought": "think",
    "brought": "bring",
    "found": "find",
    "knew": "know",
    "known": "know",
    "told": "tell",
    "said": "say",
    "gave": "give",
    "given": "give",
    "took": "take",
    "taken": "take",
    "saw": "see",
    "seen": "see",
    "wrote": "write",
    "written": "write",
    "spoke": "speak",
    "spoken": "speak",
    "understood": "understand",
    "met": "meet",
    "kept": "keep",
    "left": "leave",
    "led": "lead",
    "sent": "send",
    "spent": "spend",
    "heard": "hear",
    "held": "hold",
    "lost": "lose",
    "paid": "pay",
    "caught": "catch",
    "sought": "seek",
    "got": "get",
    "gotten": "get",
    "learnt": "learn",
    "fell": "fall",
    "lives": "life",
    "analyses": "analysis",
    "crises": "crisis",
    "media": "media",
    "data": "data",
    "news": "news",
    "series": "series",
    "wellbeing": "wellbeing",
    "safeguarding": "safeguard",
}

# Tags that mark a word as already being its own base form in Brill's lexicon.
_INFLECTED_TAGS = frozenset({"NNS", "VBZ", "VBG", "VBD", "VBN", "NNPS"})
_NO_PLURAL_ENDINGS = ("ss", "us", "is", "ous", "'s")
_DOUBLED = re.compile(r"([bdfgkmnprtv])\1$")


def _candidates(word: str) -> list[str]:
    """Possible base forms, most likely first, from English suffix rules."""
    if word.endswith("ies") and len(word) > 4:
        return [word[:-3] + "y"]
    if word.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return [word[:-2]]
    if word.endswith("s") and not word.endswith(_NO_PLURAL_ENDINGS):
        return [word[:-1]]
    if word.endswith("ied") and len(word) > 4:
        return [word[:-3] + "y"]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            stem = word[: -len(suffix)]
            if _DOUBLED.search(stem):
                return [stem[:-1], stem]
            # "sharing" -> share but "visiting" -> visit: try the silent e first, keep the
            # one the word list knows.
            return [stem + "e", stem]
    return []


@lru_cache(maxsize=200_000)
def lemmatise(word: str) -> str:
    """Return the base form of a lower-case English word (plurals and verb forms).

    Rules: an exceptions table first; words Brill's lexicon tags as a base form (training/NN,
    meeting/NN, bring/VB) stay as they are; otherwise suffix rules (-ies, -es, -s, -ied, -ing,
    -ed, with consonant undoubling and silent-e restoration) propose candidates and the first
    one the lexicon knows wins, falling back to the last candidate. So "referrals" -> referral,
    "referring" -> refer, "sharing" -> share, "policies" -> policy, "visiting" -> visit.
    """
    if word in EXCEPTIONS:
        return EXCEPTIONS[word]
    if len(word) <= 3 or not word.isalpha():
        return word
    known = brill_lexicon()
    tag = known.get(word)
    if tag is not None and tag not in _INFLECTED_TAGS:
        return word
    options = _candidates(word)
    if not options:
        return word
    for option in options:
        if option in known:
            return option
    return options[-1]


# Words, numbers with letters (s47, gcp2), hyphenated and apostrophe forms, and the punctuation
# that ends a clause: negation and phrases must not run across it.
_TOKEN = re.compile(r"[a-z0-9]+(?:['’\-][a-z0-9]+)*|[.!?;:,()]")
# s.47 / s 47 / section 47 and s.17 all become one token so the codebook can name them once.
_SECTION = re.compile(r"\b(?:s\.?\s?|section\s)(47|17)\b")

CLAUSE_BREAKS = frozenset(".!?;:,()")


def word_set(text: str) -> frozenset[str]:
    """A frozenset of the whitespace-separated words in text (for readable word lists)."""
    return frozenset(text.split())


def tokenise(text: str) -> list[str]:
    """Lower-case word tokens plus clause-breaking punctuation; possessive 's removed."""
    text = _SECTION.sub(r"s\1", text.lower().replace("’", "'"))
    tokens = _TOKEN.findall(text)
    return [t[:-2] if t.endswith("'s") else t for t in tokens]


def match_keys(tokens: list[str]) -> list[str]:
    """Lemmas for theme matching: hyphenated tokens split so "self-harm" meets "self harm"."""
    keys: list[str] = []
    for token in tokens:
        if "-" in token:
            keys.extend(lemmatise(part) for part in token.split("-") if part)
        else:
            keys.append(lemmatise(token))
    return keys
