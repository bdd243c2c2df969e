"""Text analysis of free-text segments: sentiment, theme coding and emerging themes.

Everything here runs offline on what ships inside the textblob wheel (its sentiment lexicon,
Brill's word list and the Pattern shallow parser); no NLTK corpus is needed.

    analyse(texts, codebook)          -> [SegmentAnalysis(themes, sentiment)], the batch path
    code_text(text, codebook)         -> [ThemeCode(key, confidence, matched)]
    score_sentiment(text)             -> Sentiment(polarity, subjectivity, label)
    emerging_themes(period, background, codebook, top=10) -> [CandidateTheme]

A codebook is a sequence of Theme; codebook_to_dicts / codebook_from_dicts move it to and
from storage, and SEED_CODEBOOK is where a partnership starts.
"""

from analysis.text.codebook import (
    ABBREVIATIONS,
    SEED_CODEBOOK,
    Theme,
    codebook_from_dicts,
    codebook_to_dicts,
    theme_from_dict,
    theme_to_dict,
)
from analysis.text.coding import (
    CompiledCodebook,
    SegmentAnalysis,
    ThemeCode,
    analyse,
    code_text,
    compile_codebook,
)
from analysis.text.emerging import CandidateTheme, emerging_themes, noun_phrases
from analysis.text.lemma import lemmatise, tokenise
from analysis.text.sentiment import (
    NEGATIVE_CUTOFF,
    POSITIVE_CUTOFF,
    Sentiment,
    label_for,
    score_sentiment,
)

__all__ = [
    "ABBREVIATIONS",
    "CandidateTheme",
    "NEGATIVE_CUTOFF",
    "POSITIVE_CUTOFF",
    "SEED_CODEBOOK",
    "CompiledCodebook",
    "SegmentAnalysis",
    "Sentiment",
    "Theme",
    "ThemeCode",
    "analyse",
    "code_text",
    "codebook_from_dicts",
    "codebook_to_dicts",
    "compile_codebook",
    "emerging_themes",
    "label_for",
    "lemmatise",
    "noun_phrases",
    "score_sentiment",
    "theme_from_dict",
    "theme_to_dict",
    "tokenise",
]
