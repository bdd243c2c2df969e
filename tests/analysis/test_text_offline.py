"""The text pipeline needs no NLTK data and raises no warnings when it loads."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import nltk
    nltk.data.path[:] = [{empty!r}]

    from textblob import TextBlob
    from textblob.exceptions import MissingCorpusError
    try:
        TextBlob("Proof that no corpus is reachable.").words
    except MissingCorpusError:
        pass
    else:
        raise SystemExit("NLTK data was found, so this test proves nothing")

    from analysis.text import analyse, SEED_CODEBOOK
    from analysis.text.emerging import emerging_themes

    [result] = analyse(["Referrals to MASH about neglect got no feedback."], SEED_CODEBOOK)
    assert {{c.key for c in result.themes}} >= {{"thresholds_referrals", "neglect"}}, result
    assert result.sentiment.label == "negative", result
    period = ["Energy bills are rising.", "Energy bills hurt families."]
    assert emerging_themes(period, ["The course was good."])[0].phrase == "energy bills"
    print("offline ok")
    """
)


def test_pipeline_runs_with_no_nltk_data_and_no_warnings(tmp_path):
    empty = tmp_path / "nltk_data"
    empty.mkdir()
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRIPT.format(empty=str(empty))],
        capture_output=True,
        text=True,
        timeout=120,
        env={"NLTK_DATA": str(empty), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "offline ok"
    # A ResourceWarning from textblob's lexicon files is raised during garbage collection, where
    # -W error can only print it, so an empty stderr is the proof that loading is clean.
    assert completed.stderr == ""
