"""Coding and scoring a batch is faster than TextBlob's sentiment alone, measured in one run."""

import csv
import time
from pathlib import Path

from analysis.text import SEED_CODEBOOK, analyse, compile_codebook
from analysis.text._resources import warm

warm()
from textblob import TextBlob  # noqa: E402  (after warm(): its lexicon load warns)

DATA = Path(__file__).resolve().parents[1] / "data" / "evaluation_comments.csv"


def test_analyse_costs_less_than_a_plain_textblob_sentiment_loop():
    with DATA.open(newline="", encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    comments = [f"{text} (ref {i})" for i, text in enumerate(texts * 10)]
    compile_codebook(SEED_CODEBOOK)

    start = time.perf_counter()
    analyse(comments, SEED_CODEBOOK)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    for comment in comments:
        TextBlob(comment).sentiment  # noqa: B018
    plain = time.perf_counter() - start

    # Measured at about 0.25; a noisy two-core machine still stays far below 1.
    assert ours / plain < 0.8
