"""The fake holds AC's published rules on its own (talked to with plain `requests`, no connector): what a
contract test passes against must be at least as strict as the real API."""

from __future__ import annotations

import requests
from ac_support import DRAFT, SCHEDULED, TOKENS, new_fake, seed

TOKEN = TOKENS["env:AC_TOKEN_ACME"]


def call(fake, method: str, path: str, **kwargs):
    response = requests.request(method, fake.base_url + path, headers={"Api-Token": TOKEN}, timeout=5, **kwargs)
    return response.status_code, response.json() if response.content else {}


def test_undocumented_message_fields_are_dropped_and_the_sender_field_is_email(fake):
    status, body = call(fake, "POST", "/api/3/messages", json={"message": {
        "fromname": "Acme", "email": "news@acme.example", "reply2": "news@acme.example", "subject": "Hi",
        "name": "op:act-1 variant 1", "html": "<p>x</p>"}})
    assert status == 201 and "name" not in body["message"] and "html" not in body["message"]
    assert body["message"]["fromemail"] == "news@acme.example"
    status, _ = call(fake, "POST", "/api/3/messages", json={"message": {
        "fromname": "Acme", "fromemail": "news@acme.example", "reply2": "news@acme.example", "subject": "Hi"}})
    assert status == 422  # `fromemail` is the answer's name, not the documented request field


def test_a_second_message_only_on_a_split_campaign(fake):
    [control] = [link["messageid"] for link in fake.account.links.values() if link["campaignid"] == SCHEDULED]
    assert call(fake, "POST", f"/api/3/campaign/{SCHEDULED}/messages",
                json={"campaignMessage": {"messageid": int(control)}})[0] == 400
    assert call(fake, "POST", "/api/3/campaignMessages",
                json={"campaignMessage": {"campaignid": SCHEDULED, "messageid": control}})[0] == 400
    assert call(fake, "PUT", f"/api/3/campaigns/{SCHEDULED}/edit", json={"type": "split"})[0] == 200
    status, body = call(fake, "POST", f"/api/3/campaign/{SCHEDULED}/messages",
                        json={"campaignMessage": {"messageid": int(control)}})
    assert status == 201 and body["campaignMessage"]["messageid"] != control  # a copy, with its own id
    assert call(fake, "PUT", f"/api/3/campaigns/{SCHEDULED}/edit", json={"type": "single"})[0] == 400


def test_shares_are_positive_integers_for_every_message(fake):
    call(fake, "PUT", f"/api/3/campaigns/{DRAFT}/edit", json={"type": "split", "splitType": "read"})
    [control] = [link["messageid"] for link in fake.account.links.values() if link["campaignid"] == DRAFT]
    _, copy = call(fake, "POST", f"/api/3/campaign/{DRAFT}/messages", json={"campaignMessage": {"messageid": int(control)}})
    copy_id = int(copy["campaignMessage"]["messageid"])
    path = f"/api/3/campaign/{DRAFT}/messages/percentages"
    assert call(fake, "PUT", path, json={"messages": [{"messageid": control, "percentage": "10"},
                                                      {"messageid": str(copy_id), "percentage": "10"}]})[0] == 400
    assert call(fake, "PUT", path, json={"messages": [{"messageid": int(control), "percentage": 10}]})[0] == 400
    assert call(fake, "PUT", path, json={"messages": [{"messageid": int(control), "percentage": 0},
                                                      {"messageid": copy_id, "percentage": 10}]})[0] == 400
    assert call(fake, "PUT", path, json={"messages": [{"messageid": int(control), "percentage": 10},
                                                      {"messageid": copy_id, "percentage": 10}]})[0] == 200


def test_unknown_paths_404_known_paths_405_guessed_paths_removable(fake):
    assert call(fake, "GET", "/api/3/campaigns/10/frobnicate")[0] == 404
    assert call(fake, "PATCH", f"/api/3/campaigns/{SCHEDULED}")[0] == 405
    strict = new_fake(serve_guessed=False)
    seed(strict)
    try:
        assert call(strict, "POST", "/api/3/campaigns/11/pause")[0] == 404
        assert call(strict, "GET", "/api/3/campaigns/11")[0] == 200
    finally:
        strict.close()


def test_v1_needs_its_documented_api_key(fake):
    form = {"id": "11", "status": "3"}
    params = {"api_action": "campaign_status", "api_output": "json"}
    _, body = call(fake, "POST", "/admin/api.php", params=params, data=form)
    assert body["result_code"] == 0 and fake.account.campaigns["11"]["status"] == "2"
    _, body = call(fake, "POST", "/admin/api.php", params={**params, "api_key": TOKEN}, data=form)
    assert body["result_code"] == 1 and fake.account.campaigns["11"]["status"] == "3"
