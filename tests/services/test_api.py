from __future__ import annotations


def test_create_then_get(client, admin_headers):
    created = client.post(
        "/v1/services",
        json={"name": "payments", "repository": "https://GitHub.com/acme/payments.git/"},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["repository"] == "https://github.com/acme/payments"
    fetched = client.get("/v1/services/payments", headers=admin_headers)
    assert fetched.json() == body
