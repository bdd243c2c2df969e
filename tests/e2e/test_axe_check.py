"""The accessibility check itself: it must catch what it is there to catch."""

from typing import Any


def test_the_axe_check_catches_an_unlabelled_field_and_an_image_without_alt_text(
    browser: Any, axe: Any
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(
            '<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>'
            '<h1>Broken</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
            '<form><input type="text" name="nameless"></form></main></body></html>'
        )
        found = {v["id"] for v in axe.run(page) if v["impact"] in ("serious", "critical")}
    finally:
        context.close()
    assert {"image-alt", "label"} <= found


def test_a_script_the_content_security_policy_refuses_is_caught(
    new_context: Any, script_problems: list[str]
) -> None:
    page = new_context().new_page()
    page.route(
        "**/csp-check",
        lambda route: route.fulfill(
            content_type="text/html",
            headers={"Content-Security-Policy": "script-src 'self'"},
            body="<!doctype html><title>CSP</title><script>document.title = 'ran'</script>",
        ),
    )
    page.goto("/csp-check")
    assert page.title() == "CSP"
    assert any("Content Security Policy" in problem for problem in script_problems)
