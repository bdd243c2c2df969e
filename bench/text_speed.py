"""Speed of analysis.text.analyse against a plain TextBlob sentiment loop over the same comments.

Run from the repository root:  .venv/bin/python bench/text_speed.py [--n 100000]
"""

import argparse
import csv
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.text import SEED_CODEBOOK, analyse, compile_codebook  # noqa: E402
from analysis.text._resources import warm  # noqa: E402

warm()
from textblob import TextBlob  # noqa: E402

EVALUATION_SET = ROOT / "tests" / "data" / "evaluation_comments.csv"


def make_comments(n: int, seed: int = 2024) -> list[str]:
    """n comments of one to three sentences drawn from the evaluation set, with a number
    mixed in so they are not all exact repeats."""
    with EVALUATION_SET.open(newline="", encoding="utf-8") as handle:
        pool = [row["text"] for row in csv.DictReader(handle)]
    rng = random.Random(seed)
    comments = []
    for i in range(n):
        parts = rng.sample(pool, rng.randint(1, 3))
        comments.append(f"{' '.join(parts)} (ref {i % 997})")
    return comments


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of comments")
    args = parser.parse_args()
    print(f"command: .venv/bin/python bench/text_speed.py --n {args.n}")

    comments = make_comments(args.n)
    words = sum(len(c.split()) for c in comments)
    print(f"{args.n} comments, {words / args.n:.1f} words each on average")

    compile_codebook(SEED_CODEBOOK)
    rss_before = peak_rss_mib()
    start = time.perf_counter()
    results = analyse(comments, SEED_CODEBOOK)
    ours = time.perf_counter() - start
    rss_after = peak_rss_mib()
    assert len(results) == len(comments)
    del results

    start = time.perf_counter()
    for comment in comments:
        TextBlob(comment).sentiment  # noqa: B018  (the work being timed)
    plain = time.perf_counter() - start

    print(
        f"analyse (themes + sentiment): {ours:8.2f} s  {args.n / ours:10.0f} comments/s  "
        f"{ours / args.n * 1e6:7.1f} us/comment"
    )
    print(
        f"TextBlob(text).sentiment loop: {plain:7.2f} s  {args.n / plain:10.0f} comments/s  "
        f"{plain / args.n * 1e6:7.1f} us/comment"
    )
    print(f"ratio analyse / TextBlob loop: {ours / plain:.2f}  (below 1 means faster)")
    print(
        f"peak RSS: {rss_after:.0f} MiB after analyse ({rss_after - rss_before:+.0f} MiB "
        f"while it ran, including the {args.n} results it keeps)"
    )


if __name__ == "__main__":
    main()
