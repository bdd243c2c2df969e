"""Offline TextBlob resources (sentiment lexicon, Brill word list, Pattern parser), loaded once."""

import gc
import warnings
from functools import cache

import textblob.en as _en


@cache
def warm() -> None:
    """Load TextBlob's bundled lexicons so later calls never touch the disk.

    textblob's file reader leaves its handles for the garbage collector to close, which raises
    ResourceWarning; pytest runs with warnings as errors, so the load happens here, once, with
    that one warning silenced and the handles collected before the filter is restored.
    None of this needs NLTK data: these files ship inside the textblob wheel.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        len(_en.sentiment)
        len(_en.lexicon)
        # The parser's morphology, context and entity rules load on first use.
        _en.parse("Warm the parser up.", chunks=True, lemmata=False)
        gc.collect()


def sentiment_lexicon() -> dict:
    """TextBlob's PatternAnalyzer lexicon: word -> {tag or None: (polarity, subj., intensity)}."""
    warm()
    return _en.sentiment


def brill_lexicon() -> dict:
    """Brill's tagger lexicon bundled with textblob: word -> most likely Penn tag."""
    warm()
    return _en.lexicon


def parse(text: str) -> str:
    """Pattern's shallow parse (tokens, tags, chunks) as its slash-separated string."""
    warm()
    return _en.parse(text, chunks=True, lemmata=False)
