"""A practitioner answers an emailed survey on a phone with the keyboard alone.

The admin launches a campaign through the campaign pages; the dev server's scheduler sends the
invitations over SMTP to its mail catcher; the practitioner opens the link from the email on a
320 px wide screen and never touches a mouse: Tab moves between controls, Space and the arrow
keys choose, Enter presses buttons. Half-way through they close the browser, come back with the
same link, find their answers and their page, finish and see the confirmation.
"""

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

SURVEY = "Front-line staff safeguarding survey"
AGENCY = "Probation Service, Northshire"  # twelve demo practitioners, one job role
SUBJECT = "Keyboard journey"
PHONE = {"width": 320, "height": 640}
FOCUSED = """() => {
  const el = document.activeElement;
  return {tag: el.tagName, type: el.type || "", name: el.getAttribute("name") || "",
          value: el.value || "", id: el.id || "", href: el.getAttribute("href") || "",
          text: (el.innerText || "").trim()};
}"""


# -- The admin's part: a campaign through the campaign pages ------------------------------------


def fill_date(page: Any, legend: str, day: Any) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def launch_campaign(page: Any, axe: Any, title: str) -> None:
    """Create a campaign for one agency as a draft, check it, and launch it."""
    today = datetime.now(ZoneInfo("Europe/London")).date()
    page.goto("/campaigns")
    axe.check(page)
    page.goto("/campaigns/new")
    axe.check(page)
    page.get_by_label("Instrument").select_option(label=f"{SURVEY} (version 1)")
    page.get_by_label("Campaign title").fill(title)
    page.get_by_label("Anonymous", exact=False).check()
    # Opened yesterday, so invitations go out now whatever the time of day.
    fill_date(page, "Opens on", today - timedelta(days=1))
    fill_date(page, "Closes on", today + timedelta(days=14))
    page.get_by_label(AGENCY).check()
    # The demo's own live campaign sends reminders for the same survey: ours says who it is.
    page.get_by_label("Email subject").fill(SUBJECT + ": {survey_title}")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.get_by_text("12 people will be invited when you launch")).to_be_visible()
    axe.check(page)
    page.get_by_role("button", name="Launch and send invitations").click()
    expect(page.get_by_text("Campaign launched: 12 invitations queued.")).to_be_visible()
    axe.check(page)


@pytest.fixture
def emailed_link(new_context: Any, sign_in: Any, live_server: Any, axe: Any) -> str:
    """A practitioner's personal link, read from the invitation the scheduler really sent."""
    seen = {path for path, _ in live_server.mail()}
    admin = new_context().new_page()
    sign_in(admin, "admin")
    launch_campaign(admin, axe, "Staff survey: keyboard journey")
    admin.context.close()
    message = live_server.wait_for_mail(
        lambda m: str(m["Subject"]).strip().startswith(SUBJECT), seen, seconds=20
    )
    assert str(message["To"]).endswith("@probation.northshire.example"), message["To"]
    return live_server.link_in(message)


# -- The practitioner's part: keyboard only -----------------------------------------------------


def focused(page: Any) -> dict[str, str]:
    return page.evaluate(FOCUSED)


def tab_until(page: Any, wanted: Any, what: str, limit: int = 120) -> dict[str, str]:
    """Press Tab until the focused element is the one `wanted` recognises."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if wanted(now):
            return now
    raise AssertionError(f"Tab never reached {what} on {page.url}")


def choose_radio(page: Any, name: str, option: int) -> None:
    """Tab into a radio group, take its first option with Space, then arrow down to `option`."""
    tab_until(page, lambda f: f["type"] == "radio" and f["name"] == name, f"radios {name}")
    page.keyboard.press("Space")
    for _ in range(option):
        page.keyboard.press("ArrowDown")
    checked = page.locator(f'input[type=radio][name="{name}"]').nth(option)
    expect(checked).to_be_checked()
    expect(checked).to_be_focused()


def press_button(page: Any, label: str) -> None:
    """Tab to a button by its text and press Enter."""
    tab_until(page, lambda f: f["tag"] == "BUTTON" and f["text"] == label, f"button {label!r}")
    page.keyboard.press("Enter")


def expect_page(page: Any, number: int, of: int) -> None:
    expect(page.locator("#page-progress")).to_have_text(f"Page {number} of {of}")


def assert_fits_phone(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width}px wide at 320px"


def test_a_practitioner_answers_by_keyboard_on_a_phone_leaves_and_comes_back(
    emailed_link: str, new_context: Any, axe: Any, tmp_path: Path
) -> None:
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(emailed_link)

    # Page 1: the organisation (a drop-down) and the role (radios).
    expect_page(page, 1, 9)
    axe.check(page)
    shot = tmp_path / "respondent-320px.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    print(f"screenshot: {shot}")
    assert_fits_phone(page)
    # Continue with nothing chosen: the error summary takes focus and links to the question.
    press_button(page, "Continue")
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: About you"))
    axe.check(page)
    assert_fits_phone(page)
    tab_until(page, lambda f: f["href"].endswith("#agency"), "the error's link")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Which type of organisation do you work for?")).to_be_focused()
    for _ in range(8):  # Choose an option, Police, Health, ... Probation or youth justice
        page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Which type of organisation do you work for?")).to_have_value(
        "probation"
    )
    choose_radio(page, "role", 0)
    press_button(page, "Continue")

    # Page 2: two agree/disagree questions.
    expect_page(page, 2, 9)
    axe.check(page)
    assert_fits_phone(page)
    choose_radio(page, "leaders_priority", 1)
    choose_radio(page, "know_safeguarding_lead", 0)
    press_button(page, "Continue")

    # Page 3: answer one question, then save and leave.
    expect_page(page, 3, 9)
    axe.check(page)
    first = page.locator("input[type=radio]").first.get_attribute("name")
    choose_radio(page, first, 2)
    press_button(page, "Save and come back later")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your answers have been saved")
    axe.check(page)
    phone.close()

    # Back with the same link in a fresh browser: the same page, with what they chose.
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(emailed_link)
    expect_page(page, 3, 9)
    expect(page.locator(f'input[name="{first}"]').nth(2)).to_be_checked()
    axe.check(page)
    # ... and the page before still holds its answers.
    tab_until(page, lambda f: f["tag"] == "A" and f["text"] == "Back", "the Back link")
    page.keyboard.press("Enter")
    expect_page(page, 2, 9)
    expect(page.locator('input[name="leaders_priority"]').nth(1)).to_be_checked()
    expect(page.locator('input[name="know_safeguarding_lead"]').nth(0)).to_be_checked()
    press_button(page, "Continue")

    # The rest: every remaining page is optional, so Continue through to the last.
    for number in range(3, 9):
        expect_page(page, number, 9)
        if number > 3:
            axe.check(page)
        assert_fits_phone(page)
        press_button(page, "Continue")
    expect_page(page, 9, 9)
    axe.check(page)
    tab_until(page, lambda f: f["tag"] == "TEXTAREA", "the first free-text box")
    page.keyboard.type("Time with my line manager to talk cases through.")
    press_button(page, "Submit your answers")

    expect(page.get_by_role("heading", level=1)).to_have_text("Response submitted")
    axe.check(page)
    assert_fits_phone(page)
    page.goto(emailed_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("You have already responded")
    axe.check(page)
