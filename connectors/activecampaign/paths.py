"""Every ActiveCampaign path the connector calls, taken from the one verification registry.

`schemas/verification.py` holds each call's method, path, verification status and source; this module only
names them for the connector, so a corrected path (or a call that turns out verified) is a one-line change
there, and `operator verify` / the `verified_operations` rule see the same facts the connector uses.
"""

from __future__ import annotations

from schemas.verification import CALLS, PlatformCall


def _call(name: str) -> PlatformCall:
    return CALLS[f"activecampaign.{name}"]


def _path(name: str) -> str:
    return _call(name).path


def _route(name: str) -> tuple[str, str]:
    call = _call(name)
    return call.method, call.path


# --------------------------------------------------------------------------- documented
USERS_ME = _path("users_me")
CAMPAIGN = _path("campaign_read")
CAMPAIGNS = _path("campaigns_list")
AUTOMATIONS = _path("automations_list")
CAMPAIGN_EDIT = _path("campaign_edit")  # field names documented; the response shape is not: we re-read
CAMPAIGN_MESSAGES = _path("campaign_messages_read")  # used when the campaign carries no links.campaignMessages
SPLIT_PERCENTAGES = _path("percentages_read")  # singular "campaign", as documented
MESSAGE = _path("message_read")  # GET, PUT (update) and DELETE share it
CONTACTS = _path("contacts_search")  # ?email= resolves an address to a contact id
CONTACT = _path("contact_read")
CONTACT_LISTS = _path("contact_lists_read")
CONTACT_AUTOMATIONS = _path("contact_automations_read")
CONTACT_AUTOMATION_CREATE = _path("contact_automation_create")
CONTACT_AUTOMATION = _path("contact_automation_delete")
AUTOMATION = _path("automation_read")
MESSAGE_FIELDS = ("fromname", "email", "reply2", "subject", "preheader_text")  # the documented message body

# --------------------------------------------------------------------------- guessed (documented operations)
# Their method/path is our inference (the reference pages' URL box was not captured). An action that needs
# one is not executed in live mode until the organization enables the call after checking it.
CAMPAIGN_MESSAGE_ATTACH = _route("campaign_message_attach")  # "Attach a message to a campaign" (copies it)
CAMPAIGN_MESSAGE_DETACH = _route("campaign_message_detach")  # "Detach a message from a campaign" (deletes it)
SPLIT_PERCENTAGES_SET = _route("percentages_set")  # "Set the split percentages of a campaign"
CAMPAIGN_PAUSE = _route("campaign_pause")  # "Pause a sending campaign" (2 -> 3)
CAMPAIGN_RESUME = _route("campaign_resume")  # "Resume a paused campaign" (3 -> 2)
# Deliberately absent: "Stop a campaign" (-> 4). It cannot be undone, so the connector has no way to call it.

# --------------------------------------------------------------------------- v1 (legacy)
LEGACY_API = "/admin/api.php"  # ?api_action=...&api_output=json&api_key=..., form-encoded bodies only
LEGACY_CAMPAIGN_STATUS_ACTION = "campaign_status"
