"""POST /api/v1/analysis/code-text: themes and sentiment for texts, in order, stored nowhere."""


def test_texts_come_back_coded_in_the_order_sent(api):
    client, headers = api("analyst")
    texts = [
        "The session on neglect was excellent",
        "Not confident at all about escalating to the MASH",
        "",
    ]
    response = client.post("/api/v1/analysis/code-text", json={"texts": texts}, headers=headers)
    assert response.status_code == 200
    first, second, empty = response.get_json()
    assert [t["key"] for t in first["themes"]] == ["neglect"]
    assert first["sentiment"]["label"] == "positive"
    assert "escalation_challenge" in {t["key"] for t in second["themes"]}
    assert second["sentiment"]["label"] == "negative"
    assert all(0 < t["confidence"] <= 1 for t in second["themes"])
    assert empty == {"themes": [], "sentiment": {"label": "neutral", "polarity": 0.0}}


def test_more_than_a_thousand_texts_is_a_located_422(api):
    client, headers = api("analyst")
    response = client.post(
        "/api/v1/analysis/code-text", json={"texts": ["x"] * 1001}, headers=headers
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["path"] == "texts"
