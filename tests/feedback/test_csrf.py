"""Every state-changing form refuses a post without its CSRF token; only the token-authenticated
JSON API (never cookie-authenticated) is exempt."""

import re

from feedback.models import Role

PLACEHOLDER = re.compile(r"<(?:([a-z]+):)?[a-z_]+>")


def test_every_post_route_outside_the_api_needs_its_csrf_token(app, client, auth):
    auth.sign_in_as(Role.ADMIN.value)
    checked = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        url = PLACEHOLDER.sub(lambda m: "1" if m.group(1) == "int" else "x", rule.rule)
        response = client.post(url, data={"anything": "at all"})
        assert response.status_code == 400, f"{rule.rule} accepted a post without a CSRF token"
        assert "there is a problem with that request" in response.get_data(as_text=True)
        checked.append(rule.rule)
    # The walk must actually cover the forms: sign-in, the designer, campaigns, respondents.
    assert {"/sign-in", "/r/<token>", "/campaigns/new", "/people/import"} <= set(checked)
    assert len(checked) >= 20
