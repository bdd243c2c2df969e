"""Each demo role signs in through the form, lands on its home page and can use its menu;
every page on the way passes axe-core."""

from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

#: role: the heading its home page opens with (the role's label)
ROLES = {
    "admin": "Partnership team",
    "trainer": "Trainer",
    "analyst": "Analyst",
    "scrutineer": "Scrutineer",
    "viewer": "Viewer",
}


def test_the_sign_in_page_passes_axe(new_context: Any, axe: Any) -> None:
    page = new_context().new_page()
    page.goto("/")
    assert urlparse(page.url).path == "/sign-in"
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    axe.check(page)


def test_a_wrong_password_shows_an_error_that_passes_axe(new_context: Any, axe: Any) -> None:
    page = new_context().new_page()
    page.goto("/sign-in")
    page.get_by_label("Email address").fill("viewer@northshire.example")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    axe.check(page)


@pytest.mark.parametrize("role", list(ROLES))
def test_each_demo_role_signs_in_to_a_home_page_and_menu_that_pass_axe(
    role: str, new_context: Any, sign_in: Any, axe: Any
) -> None:
    page = new_context().new_page()
    sign_in(page, role)
    assert urlparse(page.url).path == "/"
    expect(page.get_by_text(f"Signed in as {role}@northshire.example")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ROLES[role])
    axe.check(page)

    menu = page.get_by_role("navigation", name="Menu").get_by_role("link")
    labels = [label.strip() for label in menu.all_inner_texts()]
    assert labels[0] == "Home", labels
    for label in labels[1:]:
        page.get_by_role("navigation", name="Menu").get_by_role("link", name=label).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.title().startswith(label), f"{label} opened {page.url} ({page.title()})"
        axe.check(page)
