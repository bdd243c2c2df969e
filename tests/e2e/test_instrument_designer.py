"""An admin designs an instrument from scratch in the designer and publishes it."""

from typing import Any

from playwright.sync_api import expect

TITLE = "Induction check-in"
QUESTION = "I know who to call when I am worried about a child"


def test_an_admin_creates_an_instrument_adds_a_question_and_publishes_it(
    new_context: Any, sign_in: Any, axe: Any
) -> None:
    page = new_context().new_page()
    sign_in(page, "admin")

    page.goto("/instruments")
    expect(page.get_by_role("heading", level=1)).to_have_text("Instruments")
    axe.check(page)
    # The demo has copied every standard instrument already; the copy page says so.
    page.get_by_role("link", name="Copy a standard instrument").click()
    expect(page.get_by_text("Every standard instrument has been copied already")).to_be_visible()
    axe.check(page)
    page.get_by_role("link", name="Back to instruments").click()

    page.get_by_role("link", name="Create an instrument").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an instrument")
    axe.check(page)
    page.get_by_role("button", name="Create instrument").click()  # nothing filled in yet
    expect(page.get_by_role("alert").get_by_role("link", name="Enter a title")).to_be_visible()
    axe.check(page)
    page.get_by_role("textbox", name="Title").fill(TITLE)
    page.get_by_role("textbox", name="Key").fill("induction_checkin")
    page.get_by_role("button", name="Create instrument").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft version 1")
    expect(page.get_by_text(f"{TITLE} created. Add its questions.")).to_be_visible()
    axe.check(page)

    page.get_by_role("link", name="Add a question to page 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a question")
    axe.check(page)
    page.get_by_role("radio", name="Agreement scale").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Add a question on page 1")
    axe.check(page)
    page.get_by_role("textbox", name="Question (or text to show)").fill(QUESTION)
    page.get_by_role("checkbox", name="An answer is required").check()
    page.get_by_role("button", name="Save question").click()

    expect(page.get_by_text("Question added.")).to_be_visible()
    expect(page.get_by_role("heading", level=3, name=QUESTION)).to_be_visible()
    axe.check(page)

    # The admin previews it as a respondent would see it before publishing.
    designer = page.url
    # The button at the top and the versions table both link to the preview; take the button.
    page.get_by_role("link", name="Preview version 1").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    axe.check(page)
    page.get_by_role("button", name="Start now").or_(
        page.get_by_role("link", name="Start now")
    ).click()
    expect(page.get_by_role("group", name=QUESTION)).to_be_visible()
    axe.check(page)
    page.goto(designer)

    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_text("Version 1 published. It will not change from now on.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Published version 1")
    axe.check(page)

    # Published, it can be sent: the campaign form offers it.
    page.goto("/campaigns/new")
    expect(
        page.get_by_label("Instrument").get_by_role("option", name=f"{TITLE} (version 1)")
    ).to_be_attached()
