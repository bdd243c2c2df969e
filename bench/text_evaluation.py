"""Accuracy of analysis.text: theme precision/recall and sentiment on our set and two external ones.

Run from the repository root:  .venv/bin/python bench/text_evaluation.py
"""

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.text import SEED_CODEBOOK, analyse, label_for, score_sentiment  # noqa: E402
from analysis.text._resources import warm  # noqa: E402

warm()
from textblob import TextBlob  # noqa: E402

EVALUATION_SET = ROOT / "tests" / "data" / "evaluation_comments.csv"
EXTERNAL = Path("/work/shared/benchmarks/sentiment")
#: Mean-rating cut-offs for three classes on the Amazon snippets (ratings run -4..+4).
AMAZON_POSITIVE = 0.5
AMAZON_NEGATIVE = -0.5


def load_evaluation(path: Path = EVALUATION_SET) -> list[dict[str, object]]:
    """Rows of the labelled set: text, sentiment label and the set of theme keys."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {
                "id": row["id"],
                "source": row["source"],
                "text": row["text"],
                "sentiment": row["sentiment"],
                "themes": {t for t in row["themes"].split(";") if t},
            }
            for row in csv.DictReader(handle)
        ]


def theme_scores(rows, results) -> tuple[dict[str, tuple[float, float, float, int]], float]:
    """Per-theme (precision, recall, F1, support) and the macro F1 over the codebook."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for row, result in zip(rows, results, strict=True):
        predicted = {code.key for code in result.themes}
        for key in predicted & row["themes"]:
            tp[key] += 1
        for key in predicted - row["themes"]:
            fp[key] += 1
        for key in row["themes"] - predicted:
            fn[key] += 1
    per_theme = {}
    for theme in SEED_CODEBOOK:
        k = theme.key
        precision = tp[k] / (tp[k] + fp[k]) if tp[k] + fp[k] else 0.0
        recall = tp[k] / (tp[k] + fn[k]) if tp[k] + fn[k] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_theme[k] = (precision, recall, f1, tp[k] + fn[k])
    macro = sum(v[2] for v in per_theme.values()) / len(per_theme)
    return per_theme, macro


def sentiment_accuracy(rows, results) -> float:
    """Share of rows whose predicted sentiment label equals the gold label."""
    hits = sum(r["sentiment"] == a.sentiment.label for r, a in zip(rows, results, strict=True))
    return hits / len(rows)


def plain_textblob(text: str) -> str:
    """The label TextBlob's own polarity gets with our cut-offs: the baseline to beat."""
    return label_for(TextBlob(text).sentiment.polarity)


def _sign(polarity: float) -> str:
    return "positive" if polarity > 0 else "negative" if polarity < 0 else "neutral"


def employees_opinion(keep_split_rows: bool, scorer=None) -> tuple[float, int]:
    """Accuracy on the two-class staff-opinion set (a neutral prediction counts as wrong)."""
    scorer = scorer or (lambda text: score_sentiment(text).label)
    path = EXTERNAL / "employees_opinion.csv"
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    if not keep_split_rows:
        rows = [r for r in rows if r["commentID"] not in {"42", "43"}]
    hits = sum(scorer(r["comment"]) == r["assessment"] for r in rows)
    return hits / len(rows), len(rows)


def amazon_snippets(scorer=None) -> tuple[float, int, Counter]:
    """Three-class accuracy on the Amazon snippets with the cut-offs above."""
    scorer = scorer or (lambda text: score_sentiment(text).label)
    path = EXTERNAL / "amazonReviewSnippets_GroundTruth.txt"
    hits = 0
    total = 0
    gold_counts: Counter = Counter()
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            rating = float(parts[1])
            if rating >= AMAZON_POSITIVE:
                gold = "positive"
            elif rating <= AMAZON_NEGATIVE:
                gold = "negative"
            else:
                gold = "neutral"
            gold_counts[gold] += 1
            hits += scorer("\t".join(parts[2:])) == gold
            total += 1
    return hits / total, total, gold_counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-errors", action="store_true", help="list mis-coded rows")
    args = parser.parse_args()
    print("command: .venv/bin/python bench/text_evaluation.py")

    rows = load_evaluation()
    results = analyse([r["text"] for r in rows], SEED_CODEBOOK)
    per_theme, macro = theme_scores(rows, results)
    print(f"\nevaluation set: {len(rows)} comments ({EVALUATION_SET.relative_to(ROOT)})")
    print(f"{'theme':26} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>7}")
    for key, (precision, recall, f1, support) in per_theme.items():
        print(f"{key:26} {precision:9.2f} {recall:7.2f} {f1:6.2f} {support:7d}")
    print(f"macro F1: {macro:.3f}")
    print(f"sentiment accuracy (3 classes): {sentiment_accuracy(rows, results):.3f}")
    baseline = sum(plain_textblob(r["text"]) == r["sentiment"] for r in rows) / len(rows)
    print(f"  plain TextBlob polarity, same cut-offs: {baseline:.3f}")

    print("\nexternal sets (ours, then plain TextBlob with the same cut-offs)")
    by_sign = employees_opinion(True, lambda text: _sign(score_sentiment(text).polarity))[0]
    plain_by_sign = employees_opinion(True, lambda t: _sign(TextBlob(t).sentiment.polarity))[0]
    print(
        f"employees_opinion.csv, two classes by the sign of polarity (0 counts as wrong), "
        f"rows 42-43 kept: {by_sign:.3f} (TextBlob {plain_by_sign:.3f})"
    )
    for keep in (True, False):
        accuracy, n = employees_opinion(keep)
        plain, _ = employees_opinion(keep, plain_textblob)
        kept = "kept" if keep else "dropped"
        print(
            f"employees_opinion.csv, rows 42-43 {kept}: accuracy {accuracy:.3f} "
            f"(TextBlob {plain:.3f}) on {n} rows; a neutral answer counts as wrong"
        )
    accuracy, n, gold = amazon_snippets()
    plain, _, _ = amazon_snippets(plain_textblob)
    print(
        f"amazonReviewSnippets: accuracy {accuracy:.3f} (TextBlob {plain:.3f}) on {n} snippets"
        f" (gold: positive if mean rating >= {AMAZON_POSITIVE:+}, negative if <= "
        f"{AMAZON_NEGATIVE:+}, else neutral: {dict(gold)})"
    )

    if args.show_errors:
        for row, result in zip(rows, results, strict=True):
            predicted = {code.key for code in result.themes}
            if predicted != row["themes"] or result.sentiment.label != row["sentiment"]:
                print(
                    f"{row['id']:>4} {row['sentiment']:>8}/{result.sentiment.label:<8}"
                    f" missed={sorted(row['themes'] - predicted)}"
                    f" extra={sorted(predicted - row['themes'])} | {row['text']}"
                )


if __name__ == "__main__":
    main()
