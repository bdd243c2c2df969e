"""Speed of analysis.text.analyse against a plain TextBlob sentiment loop over the same comments,
and of the stored pipeline: the analysis job over segments in a database, then again with
nothing new (which must cost next to nothing).

Run from the repository root:
    .venv/bin/python bench/text_speed.py [--n 100000] [--stored 20000] [--backend sqlite]

--stored 0 skips the stored-pipeline part; --backend postgresql uses a throwaway database on
the local server (127.0.0.1:5432), dropped afterwards.
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


def stored_pipeline(comments: list[str], backend: str) -> None:
    """Time the text_analysis job over stored segments, then a second run with nothing new."""
    from datetime import date

    sys.path.insert(0, str(ROOT / "bench"))
    from _common import migrate, postgres_unavailable, service_app, throwaway_database, workdir

    if backend == "postgresql" and (why := postgres_unavailable()):
        print(f"stored pipeline on PostgreSQL skipped: {why}")
        return
    with workdir() as tmp, throwaway_database(backend, Path(tmp)) as url:
        migrate(url)
        app = service_app(url)
        with app.app_context():
            import sqlalchemy as sa

            from feedback import clock
            from feedback.extensions import db
            from feedback.models import Partnership, SourceType, TextSegment
            from feedback.models.codebook import SegmentCode
            from feedback.services import codebook, text_analysis

            partnership = Partnership(name="Bench partnership")
            db.session.add(partnership)
            db.session.commit()
            codebook.ensure_codebook(partnership.id)
            now = clock.now()
            rows = [
                {
                    "partnership_id": partnership.id,
                    "source_type": SourceType.STAFF_SURVEY,
                    "source_id": f"r{i}",
                    "field": "comment",
                    "occurred_on": date(2027, 3, 1),
                    "text": text,
                    "created_at": now,
                }
                for i, text in enumerate(comments)
            ]
            for start in range(0, len(rows), 5000):
                db.session.execute(sa.insert(TextSegment), rows[start : start + 5000])
            db.session.commit()

            statements: list[str] = []

            def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
                statements.append(statement)

            # Compiling the partnership's codebook happens once per process and codebook
            # version; timed apart so the job's figure is the per-segment work.
            started = time.perf_counter()
            codebook.compiled_codebook(partnership.id)
            compile_seconds = time.perf_counter() - started
            started = time.perf_counter()
            first = text_analysis.analyse_new_segments(now)
            full = time.perf_counter() - started
            codes = db.session.scalar(sa.select(sa.func.count()).select_from(SegmentCode))
            sa.event.listen(db.engine, "before_cursor_execute", count)
            started = time.perf_counter()
            second = text_analysis.analyse_new_segments(now)
            again = time.perf_counter() - started
            sa.event.remove(db.engine, "before_cursor_execute", count)
            db.session.remove()
            db.engine.dispose()
    n = len(comments)
    print(f"stored pipeline ({backend}), {n} segments in the database:")
    print(f"  compiling the stored codebook (once per version): {compile_seconds:.2f} s")
    print(
        f"  text_analysis job, all new:   {full:8.2f} s  {n / full:10.0f} segments/s  "
        f"({first}; {codes} suggested codes stored)"
    )
    print(
        f"  text_analysis job, nothing new: {again * 1000:6.1f} ms  ({second or 'nothing to do'}; "
        f"{len(statements)} SQL statement{'s' if len(statements) != 1 else ''})"
    )
    print(f"  ratio nothing-new / all-new: {again / full:.5f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of comments")
    parser.add_argument(
        "--stored", type=int, default=20_000, help="segments for the stored pipeline (0: skip)"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    print(
        f"command: .venv/bin/python bench/text_speed.py --n {args.n} --stored {args.stored} "
        f"--backend {args.backend}"
    )

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
    if args.stored:
        stored_pipeline(comments[: args.stored], args.backend)


if __name__ == "__main__":
    main()
