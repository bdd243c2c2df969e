"""The stored text pipeline: answers into segments, each segment analysed once by a job in
batches, re-coding after a codebook change that never touches an analyst's decision."""

from datetime import date

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.models import (
    Course,
    CourseSession,
    EvaluationStage,
    SessionEvaluation,
    SourceType,
    TextSegment,
)
from feedback.models.codebook import CodebookState, CodeStatus, SegmentCode
from feedback.services import codebook, text_analysis, transaction
from feedback.services.codebook import ThemeSpec
from tests.feedback.themes_helpers import (
    START,
    add_response,
    add_segments,
    agreed_codes,
    code_row,
    confirm,
    make_agency,
    run_jobs,
    segment,
    survey_campaign,
)

NEGLECT = "The home conditions were poor and the children had head lice: clear neglect."
MASH = "Referral to the MASH took three days and nobody told us the outcome."
PLAIN = "Thank you."


def segments_of(source_id):
    return list(
        db.session.scalars(
            sa.select(TextSegment)
            .where(TextSegment.source_id == str(source_id))
            .order_by(TextSegment.id)
        )
    )


# -- Answers into segments ---------------------------------------------------------------------


def test_each_free_text_answer_of_a_staff_survey_becomes_one_segment(partnership):
    police = make_agency(partnership)
    campaign = survey_campaign(partnership)
    response = add_response(
        campaign,
        {"thresholds": 4, "supervision": False, "why_not": MASH, "helps": "My DSL"},
        police,
        on=date(2027, 3, 4),
    )
    silent = add_response(campaign, {"thresholds": 5, "supervision": True, "helps": ""})

    report = run_jobs("text_segments")["text_segments"]

    assert report == "2 responses read for free text"
    made = segments_of(response.id)
    assert [(s.field, s.field_label, s.text) for s in made] == [
        ("why_not", "What gets in the way?", MASH),
        ("helps", "What helps you most?", "My DSL"),
    ]
    first = made[0]
    assert first.source_type == SourceType.STAFF_SURVEY
    assert (first.campaign_id, first.agency_id, first.course_id) == (campaign.id, police.id, None)
    assert first.respondent_key == response.id
    assert first.occurred_on == date(2027, 3, 4)
    assert first.partnership_id == partnership.id
    assert first.analysed_at is None
    assert segments_of(silent.id) == []


def test_responses_are_read_once_even_when_they_had_no_free_text(partnership):
    campaign = survey_campaign(partnership)
    add_response(campaign, {"thresholds": 5, "supervision": True})
    add_response(campaign, {"thresholds": 2, "supervision": False, "why_not": MASH})
    run_jobs("text_segments")
    count = db.session.scalar(sa.select(sa.func.count()).select_from(TextSegment))

    assert run_jobs("text_segments")["text_segments"] is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TextSegment)) == count == 1


@pytest.mark.parametrize(
    ("stage", "source"),
    [
        (EvaluationStage.POST_COURSE, SourceType.POST_COURSE),
        (EvaluationStage.FOLLOWUP_3_MONTH, SourceType.FOLLOW_UP),
        (EvaluationStage.FOLLOWUP_6_MONTH, SourceType.FOLLOW_UP),
    ],
)
def test_training_evaluation_answers_are_training_feedback_or_follow_ups_of_their_course(
    partnership, stage, source
):
    course = Course(
        partnership_id=partnership.id,
        title="Neglect: the Graded Care Profile",
        learning_outcomes=["Use the GCP2"],
        format="face_to_face",
    )
    db.session.add(course)
    db.session.flush()
    session = CourseSession(
        partnership_id=partnership.id, course_id=course.id, starts_at=START, ends_at=START
    )
    db.session.add(session)
    db.session.flush()
    campaign = survey_campaign(partnership, purpose=stage.value, title="Evaluation")
    db.session.add(SessionEvaluation(session_id=session.id, stage=stage, campaign_id=campaign.id))
    db.session.commit()
    response = add_response(campaign, {"thresholds": 4, "helps": "Using the GCP2 on visits"})

    run_jobs("text_segments")

    [made] = segments_of(response.id)
    assert made.source_type == source
    assert made.course_id == course.id


def test_segments_of_an_erased_response_are_removed(partnership):
    campaign = survey_campaign(partnership)
    response = add_response(campaign, {"thresholds": 2, "why_not": MASH})
    run_jobs("text_segments")
    db.session.delete(db.session.get(type(response), response.id))
    db.session.commit()

    report = run_jobs("text_segments")["text_segments"]

    assert report == "1 segment of erased responses removed"
    assert segments_of(response.id) == []


# -- Analysis ----------------------------------------------------------------------------------


def test_analysis_stores_sentiment_and_suggested_themes_with_confidence(partnership):
    neglect, mash, plain = add_segments(partnership, [NEGLECT, MASH, PLAIN])

    report = run_jobs("text_analysis")["text_analysis"]

    assert report == "3 text segments analysed"
    stored = segment(neglect.id)
    assert stored.analysed_at is not None
    assert stored.sentiment in ("positive", "neutral", "negative")
    assert stored.polarity is not None and stored.subjectivity is not None
    assert agreed_codes(neglect.id) == {"neglect": CodeStatus.SUGGESTED}
    code = code_row(neglect.id, "neglect")
    assert code.coder_id is None and 0.5 <= code.confidence < 1
    assert "thresholds_referrals" in agreed_codes(mash.id)
    assert agreed_codes(plain.id) == {}
    assert segment(plain.id).sentiment == "positive"


def test_running_again_with_nothing_new_costs_one_query_and_writes_nothing(app, partnership):
    add_segments(partnership, [NEGLECT, MASH])
    run_jobs("text_analysis")
    codes_before = db.session.scalar(sa.select(sa.func.count()).select_from(SegmentCode))
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        report = run_jobs("text_analysis")["text_analysis"]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)

    assert report is None
    assert len(statements) == 1
    assert statements[0].lstrip().upper().startswith("SELECT")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SegmentCode)) == codes_before


def test_a_long_run_goes_in_committed_batches_and_reports_progress(partnership, caplog):
    add_segments(partnership, [NEGLECT, MASH, PLAIN, NEGLECT + " Again.", MASH + " Again."])
    caplog.set_level("INFO", logger="feedback.services.text_analysis")

    done = text_analysis.analyse_partnership(partnership.id, limit=2)

    assert done == 5
    assert text_analysis.progress(partnership.id) == (5, 5)
    progress = [r.getMessage() for r in caplog.records if "segments analysed" in r.getMessage()]
    assert progress[0].endswith("2 of 5 segments analysed")
    assert progress[-1].endswith("5 of 5 segments analysed")


def test_recoding_after_a_codebook_change_keeps_analysts_decisions(partnership, make_user):
    analyst = make_user("analyst")
    text = "Neglect is everywhere; the food bank is the only help and the MASH was slow."
    [seg] = add_segments(partnership, [text])
    run_jobs("text_analysis")
    codes = agreed_codes(seg.id)
    assert {"neglect", "thresholds_referrals"} <= set(codes)
    confirm(seg.id, "neglect", analyst)
    rejected = code_row(seg.id, "thresholds_referrals")
    rejected.status, rejected.decided_by_id = CodeStatus.REJECTED, analyst.id
    db.session.commit()

    codebook.add_theme(
        partnership.id,
        ThemeSpec(label="Food poverty", indicators=("food bank",), priority=2),
        analyst,
    )
    assert segment(seg.id).analysed_at is None  # queued to be coded again
    run_jobs("text_analysis")

    after = agreed_codes(seg.id)
    assert after["food_poverty"] == CodeStatus.SUGGESTED
    assert after["neglect"] == CodeStatus.CONFIRMED
    assert after["thresholds_referrals"] == CodeStatus.REJECTED
    assert code_row(seg.id, "neglect").decided_by_id == analyst.id


def test_retiring_a_theme_withdraws_its_suggestions_but_not_confirmed_codes(partnership, make_user):
    analyst = make_user("analyst")
    first, second = add_segments(partnership, [NEGLECT, NEGLECT + " Truly."])
    run_jobs("text_analysis")
    confirm(first.id, "neglect", analyst)

    codebook.retire_theme(codebook.get_theme(partnership.id, "neglect"), analyst)
    run_jobs("text_analysis")

    assert agreed_codes(first.id) == {"neglect": CodeStatus.CONFIRMED}
    assert agreed_codes(second.id) == {}


def test_a_codebook_change_during_a_batch_makes_it_start_again(partnership, monkeypatch):
    [seg] = add_segments(partnership, [NEGLECT])
    codebook.ensure_codebook(partnership.id)
    real = codebook.compiled_codebook
    changes = []

    def compiled_then_changed(pid):
        compiled = real(pid)
        if not changes:
            # Another process changes the codebook after this batch has read it.
            changes.append(1)
            state = db.session.get(CodebookState, pid)
            state.version += 1
        return compiled

    monkeypatch.setattr(codebook, "compiled_codebook", compiled_then_changed)
    with pytest.raises(text_analysis.CodebookChanged), transaction():
        text_analysis.analyse_batch(partnership.id)
    assert segment(seg.id).analysed_at is None
    assert agreed_codes(seg.id) == {}

    assert text_analysis.analyse_partnership(partnership.id) == 1
    assert agreed_codes(seg.id) == {"neglect": CodeStatus.SUGGESTED}


def test_segments_of_each_partnership_are_coded_with_its_own_codebook(partnership, make_user):
    from feedback.models import Partnership

    other = Partnership(name="Otherfield Partnership")
    db.session.add(other)
    db.session.commit()
    codebook.add_theme(
        partnership.id, ThemeSpec(label="Food poverty", indicators=("food bank",)), None
    )
    [ours] = add_segments(partnership, ["The food bank was the only help."])
    [theirs] = add_segments(other, ["The food bank was the only help."])

    run_jobs("text_analysis")

    assert "food_poverty" in agreed_codes(ours.id)
    assert "food_poverty" not in agreed_codes(theirs.id)


def test_the_analyst_home_page_counts_text_waiting_for_coding(client, auth, partnership):
    add_segments(partnership, [NEGLECT, MASH, PLAIN])
    run_jobs("text_analysis")
    auth.sign_in_as("analyst")

    page = client.get("/").get_data(as_text=True)

    assert "2</strong> text segments waiting for coding" in page
    assert "/themes?coding=waiting" in page


def test_the_cli_runs_the_pipeline_and_says_when_nothing_is_left(runner, partnership):
    campaign = survey_campaign(partnership)
    add_response(campaign, {"thresholds": 2, "why_not": MASH})

    first = runner.invoke(args=["analysis", "run"])
    second = runner.invoke(args=["analysis", "run"])
    status = runner.invoke(args=["analysis", "status"])

    assert first.exit_code == 0, first.output
    assert "1 response read for free text" in first.output
    assert "1 analysed now; 1 of 1 in all" in first.output
    assert "Nothing to analyse" in second.output
    assert "1 of 1 text segments analysed" in status.output


def test_the_demo_seed_codes_most_text_leaves_some_waiting_and_adds_nothing_twice(partnership):
    import random

    from feedback import seed_learning
    from feedback.models.codebook import CodingSample, SampleCoding

    campaign = survey_campaign(partnership)
    for i in range(40):
        add_response(campaign, {"thresholds": 2, "why_not": f"{MASH} ({i})", "helps": NEGLECT})

    added = seed_learning.seed(partnership, random.Random(1))
    again = seed_learning.seed(partnership, random.Random(1))

    assert added > 80 and again == 0
    statuses = db.session.execute(
        sa.select(SegmentCode.status, sa.func.count())
        .where(SegmentCode.coder_id.is_(None))
        .group_by(SegmentCode.status)
    ).all()
    counts = {status: n for status, n in statuses}
    assert counts[CodeStatus.CONFIRMED] > counts.get(CodeStatus.SUGGESTED, 0) > 0
    assert text_analysis.waiting_for_coding(partnership.id) > 0
    sample = db.session.scalar(sa.select(CodingSample))
    coders = set(db.session.scalars(sa.select(SampleCoding.coder_id)))
    assert sample.name == seed_learning.SAMPLE_NAME and len(coders) == 2
