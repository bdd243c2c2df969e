"""Theme coding against a codebook, and the batch analysis of segments (themes + sentiment)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from analysis.text.codebook import ABBREVIATIONS, SEED_CODEBOOK, Theme
from analysis.text.lemma import match_keys, tokenise, word_set
from analysis.text.sentiment import Sentiment, score_tokens

#: Evidence from one mention of a strong / weak indicator. A phrase of n words counts
#: (1 + PHRASE_BONUS x (n - 1)) times its base, because longer phrases are rarely accidental.
STRONG = 1.0
WEAK = 0.4
PHRASE_BONUS = 0.25
#: A repeat of an indicator already counted adds this share of its strength.
REPEAT_SHARE = 0.25
#: Evidence at which confidence reaches 0.5: one strong mention, or two weak ones (0.8).
HALF_EVIDENCE = 0.5
#: Codes below this confidence are not reported: a single weak mention (0.44) is not enough.
MIN_CONFIDENCE = 0.5

# Dropped from both text and indicators before matching, so "voice of the child" and
# "voice of children" meet. "in", "no" and "not" stay: "child in need" is not "child needs".
STOPWORDS = word_set(
    "the a an of to for with and or our their my your this that these those his her its"
)


@dataclass(frozen=True, slots=True)
class ThemeCode:
    """A theme found in a text: its key, a confidence in [0, 1] and the indicators seen."""

    key: str
    confidence: float
    matched: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SegmentAnalysis:
    """Everything computed once per text segment."""

    themes: tuple[ThemeCode, ...]
    sentiment: Sentiment


def _keys(text: str) -> tuple[str, ...]:
    return tuple(k for k in match_keys(tokenise(text)) if k not in STOPWORDS)


def _abbreviation_variants(phrase: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The phrase with each abbreviation swapped for its expansion, and each expansion
    inside it swapped for the abbreviation, so either spelling matches."""
    variants = []
    for abbreviation, expansion in ABBREVIATIONS.items():
        short = _keys(abbreviation)
        long = _keys(expansion)
        for find, replace in ((short, long), (long, short)):
            n = len(find)
            for start in range(len(phrase) - n + 1):
                if phrase[start : start + n] == find:
                    variants.append(phrase[:start] + replace + phrase[start + n :])
    return variants


_SHORT_FORMS = {abbreviation.lower(): abbreviation for abbreviation in ABBREVIATIONS}


def _display(keys: tuple[str, ...]) -> str:
    """How a variant found through an abbreviation is reported: "CP plan", "MASH"."""
    return " ".join(_SHORT_FORMS.get(k, k) for k in keys)


class CompiledCodebook:
    """A codebook turned into a lookup from first lemma to candidate phrases; build once."""

    __slots__ = ("themes", "_index")

    def __init__(self, codebook: Sequence[Theme]) -> None:
        self.themes: tuple[Theme, ...] = tuple(codebook)
        # first key -> [(phrase keys, theme index, indicator as written, as shown, strength)]
        index: dict[str, list[tuple[tuple[str, ...], int, str, str, float]]] = {}
        for theme_index, theme in enumerate(self.themes):
            for indicators, base in ((theme.indicators, STRONG), (theme.weak_indicators, WEAK)):
                for indicator in indicators:
                    phrase = _keys(indicator)
                    if not phrase:
                        continue
                    strength = base * (1 + PHRASE_BONUS * (len(phrase) - 1))
                    for variant in {phrase, *_abbreviation_variants(phrase)}:
                        shown = indicator if variant == phrase else _display(variant)
                        entry = (variant, theme_index, indicator, shown, strength)
                        index.setdefault(variant[0], []).append(entry)
        for entries in index.values():
            # Longest first, so a theme's longer indicator claims its words before a shorter
            # one inside it ("information sharing agreement" before "information sharing").
            entries.sort(key=lambda e: -len(e[0]))
        self._index = index

    def code_keys(
        self, keys: Sequence[str], min_confidence: float = MIN_CONFIDENCE
    ) -> list[ThemeCode]:
        """Code a stream of match keys (lemmas, stopwords removed)."""
        index = self._index
        evidence: dict[int, float] = {}
        # theme -> {indicator as written: form shown}; repeats of either spelling are one.
        seen: dict[int, dict[str, str]] = {}
        covered_until: dict[int, int] = {}
        n = len(keys)
        for i in range(n):
            entries = index.get(keys[i])
            if entries is None:
                continue
            for phrase, theme_index, indicator, shown, strength in entries:
                length = len(phrase)
                if covered_until.get(theme_index, 0) > i:
                    continue
                if length > 1 and tuple(keys[i : i + length]) != phrase:
                    continue
                covered_until[theme_index] = i + length
                hits = seen.setdefault(theme_index, {})
                if indicator in hits:
                    evidence[theme_index] += REPEAT_SHARE * strength
                else:
                    hits[indicator] = shown
                    evidence[theme_index] = evidence.get(theme_index, 0.0) + strength
        codes = []
        priority = {}
        for theme_index, total in evidence.items():
            confidence = round(total / (total + HALF_EVIDENCE), 3)
            if confidence >= min_confidence:
                theme = self.themes[theme_index]
                codes.append(ThemeCode(theme.key, confidence, tuple(seen[theme_index].values())))
                priority[theme.key] = theme.priority
        # Equal confidence: the partnership's higher business priority first.
        codes.sort(key=lambda c: (-c.confidence, priority[c.key], c.key))
        return codes


@lru_cache(maxsize=16)
def _compile_cached(codebook: tuple[Theme, ...]) -> CompiledCodebook:
    return CompiledCodebook(codebook)


def compile_codebook(codebook: Sequence[Theme] | CompiledCodebook) -> CompiledCodebook:
    """Compile a codebook (cached, so passing the same themes again costs nothing)."""
    if isinstance(codebook, CompiledCodebook):
        return codebook
    return _compile_cached(tuple(codebook))


def _match_stream(tokens: list[str]) -> list[str]:
    return [k for k in match_keys(tokens) if k not in STOPWORDS]


def code_text(
    text: str,
    codebook: Sequence[Theme] | CompiledCodebook = SEED_CODEBOOK,
    min_confidence: float = MIN_CONFIDENCE,
) -> list[ThemeCode]:
    """The themes of one text, most confident first.

    Confidence = evidence / (evidence + HALF_EVIDENCE), where evidence adds STRONG (1.0) for
    each distinct strong indicator seen and WEAK (0.4) for each weak one, both scaled up for
    multi-word phrases, plus REPEAT_SHARE of that for repeats. One strong mention gives 0.67,
    two 0.8, two weak 0.62; it approaches but never reaches 1.
    """
    compiled = compile_codebook(codebook)
    return compiled.code_keys(_match_stream(tokenise(text)), min_confidence)


def analyse(
    texts: Iterable[str],
    codebook: Sequence[Theme] | CompiledCodebook = SEED_CODEBOOK,
    min_confidence: float = MIN_CONFIDENCE,
) -> list[SegmentAnalysis]:
    """Themes and sentiment for each text, tokenising each once and compiling the codebook once."""
    compiled = compile_codebook(codebook)
    results = []
    for text in texts:
        tokens = tokenise(text)
        themes = compiled.code_keys(_match_stream(tokens), min_confidence)
        results.append(SegmentAnalysis(tuple(themes), score_tokens(tokens)))
    return results
