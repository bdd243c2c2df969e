"""A scrutineer starts a scrutiny visit they lead, writes it up topic by topic through the
pages (leaving one half-written and coming back to it), and submits it; every page passes axe."""

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from feedback import clock

SETTING = "Eastgate Family Hub"
AGENCY = "Northshire County Council Children's Services"


def test_a_scrutineer_writes_up_a_visit_and_submits_it(
    new_context: Any, sign_in: Any, axe: Any
) -> None:
    page = new_context().new_page()
    sign_in(page, "scrutineer")
    expect(page.get_by_role("heading", name="Your visits to write up")).to_be_visible()

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Visits").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Visits, conversations and forums")
    axe.check(page)

    # The demo's sent-back visit shows what the partnership team asked for.
    page.get_by_role("link", name="Tenancy Services (Northshire Homes)").click()
    expect(page.get_by_role("heading", name="Sent back for changes")).to_be_visible()
    axe.check(page)
    page.get_by_role("link", name="Visits", exact=True).first.click()

    page.get_by_role("link", name="Start a visit you lead").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What are you recording?")
    axe.check(page)
    page.get_by_role("radio", name="Scrutiny visit").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Plan a scrutiny visit")
    axe.check(page)
    page.get_by_role("button", name="Plan it").click()  # nothing filled in yet
    alert = page.get_by_role("alert")
    expect(alert.get_by_role("link", name="Enter the setting or service visited")).to_be_visible()
    axe.check(page)
    yesterday = clock.today() - timedelta(days=1)
    page.get_by_label("Agency visited").select_option(label=AGENCY)
    page.get_by_label("Setting or service visited").fill(SETTING)
    page.get_by_label("Day").fill(str(yesterday.day))
    page.get_by_label("Month").fill(str(yesterday.month))
    page.get_by_label("Year").fill(str(yesterday.year))
    page.get_by_role("button", name="Plan it").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(SETTING)
    expect(page.get_by_text("Scrutiny visit planned for")).to_be_visible()
    axe.check(page)
    record = page.url

    # The first topic is half-written, saved, and finished later.
    page.get_by_role("link", name="Leadership and governance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leadership and governance")
    axe.check(page)
    page.get_by_label("Strengths").fill("The hub manager is the DSL and supervises monthly.")
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_text("Saved. You can come back to it at any time.")).to_be_visible()
    page.get_by_role("link", name="Leadership and governance").click()
    expect(page.get_by_label("Strengths")).to_have_value(
        "The hub manager is the DSL and supervises monthly."
    )

    ratings = ["Green", "Amber", "Amber", "Red", "Amber", "Green"]
    for number, rating in enumerate(ratings, start=1):
        expect(page.get_by_text(f"Topic {number} of 6")).to_be_visible()
        if number > 1:
            axe.check(page)
        page.get_by_role("radio", name=rating).check()
        page.get_by_label("Areas for development").fill(
            f"Topic {number}: staff were unsure when to step up from early help to a MASH referral."
        )
        page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Staff spoken to")
    axe.check(page)
    page.get_by_role("textbox", name="Safeguarding lead").fill("1")
    page.get_by_role("textbox", name="Front-line staff").fill("5")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Summary")
    axe.check(page)
    page.get_by_label("Summary of the visit").fill(
        "A welcoming hub with good supervision; thresholds need a refresher."
    )
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Actions agreed")
    axe.check(page)
    page.get_by_label("Action agreed").fill("Thresholds refresher for hub staff")
    page.get_by_role("button", name="Add the action").click()
    expect(page.get_by_text("Action added.")).to_be_visible()
    axe.check(page)
    page.get_by_role("link", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check and submit")
    axe.check(page)
    page.get_by_role("button", name="Submit for review").click()

    assert page.url == record
    expect(page.get_by_text("Scrutiny visit submitted.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Submitted for review")
    expect(page.get_by_text("Thresholds refresher for hub staff")).to_be_visible()
    axe.check(page)

    page.get_by_role("link", name=AGENCY).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(AGENCY)
    axe.check(page)
