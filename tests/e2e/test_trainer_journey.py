"""A trainer reads what changed after their sessions: straight after, 3 and 6 months on.

trainer@northshire.example signs in to the demo, follows the link on their home page to one of
their session dashboards, then to the course dashboard and the comparison of courses, reading
the follow-up figures on each; axe-core checks every page.
"""

import re
from typing import Any

from playwright.sync_api import expect

COURSE = "Neglect: recognising and responding"


def caption_table(page: Any, caption: str) -> Any:
    """The table whose caption is this text."""
    return page.locator("table").filter(has=page.locator("caption", has_text=caption)).first


def read_follow_ups(page: Any) -> None:
    """The 3- and 6-month follow-ups were sent, answered and paired with the same people."""
    rates = caption_table(page, "Response rate by stage")
    for stage in ("3-month follow-up", "6-month follow-up"):
        row = rates.locator("tr", has_text=stage)
        expect(row).to_contain_text("Sent")
        expect(row).to_contain_text("%")
    for months in (3, 6):
        held = caption_table(
            page, f"Confidence straight after the course and {months} months on, the same people"
        )
        expect(held).to_be_visible()
        first = held.locator("tbody tr").first
        # Real numbers, not "Fewer than 5 responses": the demo's sessions are big enough.
        expect(first).not_to_contain_text("Fewer than")
        expect(first.locator("td").first).to_have_text(re.compile(r"^\d+$"))
    attrition = caption_table(page, "Who answered each stage (attrition)")
    expect(attrition.locator("tr", has_text="of whom answered the 3-month")).to_contain_text("%")
    applied = caption_table(page, "Percent who have applied their learning")
    expect(applied.locator("tr", has_text="6-month follow-up").first).to_contain_text("%")


def test_a_trainer_reads_session_and_course_dashboards_with_3_and_6_month_follow_ups(
    new_context: Any, sign_in: Any, axe: Any
) -> None:
    page = new_context().new_page()
    sign_in(page, "trainer")
    expect(page.get_by_role("heading", name="Your evaluation dashboards")).to_be_visible()
    axe.check(page)

    page.get_by_role("link", name=re.compile(f"^{re.escape(COURSE)}, ")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(COURSE)
    expect(page.get_by_text("Session dashboard", exact=True)).to_be_visible()
    axe.check(page)
    read_follow_ups(page)
    # De-identified: the page says so, and no demo practitioner's email address is on it.
    expect(page.get_by_text("Nobody's name is shown.", exact=False)).to_be_visible()
    assert "@" not in page.locator("main").inner_text().replace("trainer@northshire.example", "")

    page.get_by_role("link", name="The course dashboard, over all its sessions").click()
    expect(page.get_by_text("Course dashboard", exact=True)).to_be_visible()
    axe.check(page)
    read_follow_ups(page)
    sessions = caption_table(page, "Sessions compared")
    expect(sessions.locator("tbody tr")).to_have_count(3)  # two held, one to come

    page.get_by_role("link", name="Compare all courses").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Which courses change practice?")
    axe.check(page)
    expect(caption_table(page, "Courses compared").locator("tbody tr")).to_have_count(3)
    expect(page.get_by_text("Kruskal-Wallis", exact=False).first).to_be_visible()
