"""Every ActiveCampaign path the connector calls, in one place.

Paths are relative to the account's API base URL (Settings → Developer). Most are confirmed in AC's
published v3 reference. The ones in the UNCONFIRMED block below come from reference pages whose URL box
was not captured (see ../shared/reference/activecampaign-api.md, tags [D]/[I]): they are our best
inference and must be checked against a sandbox account before this connector is enabled for real
traffic. Keeping them here means a correction is a one-line change.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- confirmed ([V] / [C])

USERS_ME = "/api/3/users/me"
CAMPAIGN = "/api/3/campaigns/{campaign_id}"
CAMPAIGN_EDIT = "/api/3/campaigns/{campaign_id}/edit"  # field names confirmed; response shape is not
CAMPAIGN_MESSAGES = "/api/3/campaigns/{campaign_id}/campaignMessages"  # [C] ractivecampaign
SPLIT_PERCENTAGES = "/api/3/campaign/{campaign_id}/messages/percentages"  # GET confirmed (singular "campaign")
MESSAGES = "/api/3/messages"
MESSAGE = "/api/3/messages/{message_id}"
AUTOMATION = "/api/3/automations/{automation_id}"
CONTACTS = "/api/3/contacts"  # ?email= resolves an address to a contact id
CONTACT = "/api/3/contacts/{contact_id}"
CONTACT_LISTS = "/api/3/contacts/{contact_id}/contactLists"
CONTACT_AUTOMATIONS = "/api/3/contacts/{contact_id}/contactAutomations"
CONTACT_AUTOMATION_CREATE = "/api/3/contactAutomations"
CONTACT_AUTOMATION = "/api/3/contactAutomations/{run_id}"
LEGACY_API = "/admin/api.php"  # v1: ?api_action=...&api_output=json, form-encoded bodies only
LEGACY_CAMPAIGN_STATUS_ACTION = "campaign_status"

# --------------------------------------------------------------------------- UNCONFIRMED ([D] / [I])
# Documented operations whose exact method/path was not visible in the docs copy we read. Verify each
# against a sandbox account (reference §6 checklist item 1) before enabling the action it serves.

CAMPAIGN_MESSAGE_CREATE = ("POST", "/api/3/campaignMessages")  # "Create a campaign message"
CAMPAIGN_MESSAGE = ("DELETE", "/api/3/campaignMessages/{campaign_message_id}")  # association only
SPLIT_PERCENTAGES_SET = ("PUT", SPLIT_PERCENTAGES)  # "Set the split percentages of a campaign"
CAMPAIGN_PAUSE = ("POST", "/api/3/campaigns/{campaign_id}/pause")  # "Pause a sending campaign" (2 -> 3)
CAMPAIGN_RESUME = ("POST", "/api/3/campaigns/{campaign_id}/resume")  # "Resume a paused campaign" (3 -> 2)
# Deliberately absent: "Stop a campaign" (-> 4). It cannot be undone, so the connector has no way to call it.
