"""Every error code Keyward answers with, declared once: its HTTP status(es) and one sentence on
how to fix it.

Services raise `DomainError(code, message)` with a message specific to the case; this registry is
the general answer behind each code, for the OpenAPI schema (each operation lists the codes it can
answer) and for clients that switch on codes. tests/project/test_error_codes.py fails when a code
is raised anywhere without being declared here, or declared without a fix.

A code answers with one status, except where two doors mean two things by it: LICENSE_REVOKED is
a 422 refusal on the client API (do not retry) and a 409 when staff try to change a revoked license.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    code: str
    statuses: tuple[int, ...]
    fix: str
    area: str  # "any", or the part of the API that raises it (see AREAS_BY_TAG)


# Which areas' codes an API operation can answer with, by its OpenAPI tag.
AREAS_BY_TAG = {
    "client": ("client",),
    "licenses": ("licenses",),
    "staff": ("licenses", "accounts", "staff"),
    "auth tokens": ("tokens",),
    "secret scanning": ("tokens",),
    "members": ("accounts",),
    "invitations": ("accounts",),
    "workspaces": ("accounts",),
    "me": ("accounts",),
    "parameters": ("parameters",),
    "webhooks": ("webhooks",),
    "billing": ("billing", "licenses", "staff"),
}


def _codes(*rows: tuple[str, int | tuple[int, ...], str]) -> dict[str, ErrorCode]:
    """Rows are (code, status or statuses, fix); a row ("area", name) starts an area."""
    codes, area = {}, "any"
    for row in rows:
        if row[0] == "area":
            area = row[1]
            continue
        code, statuses, fix = row
        statuses = statuses if isinstance(statuses, tuple) else (statuses,)
        codes[code] = ErrorCode(code, statuses, fix, area)
    return codes


ERROR_CODES = _codes(
    # ---- any request
    ("INVALID", 400, "Correct the named field as its message says and send the request again."),
    ("MALFORMED_REQUEST", 400, "Send well-formed JSON (or form data) in the request body."),
    ("NOT_AUTHENTICATED", 401, "Log in, or send an auth token as `Authorization: Bearer <token>`."),
    (
        "AUTHENTICATION_FAILED",
        401,
        "Send a valid, live auth token; create or reset one on the Auth tokens page.",
    ),
    ("PERMISSION_DENIED", 403, "Ask a workspace admin for the permission the message names."),
    ("NOT_FOUND", 404, "Check the identifier; things outside your workspaces are never shown."),
    ("METHOD_NOT_ALLOWED", 405, "Use one of the methods listed in the Allow header."),
    ("NOT_ACCEPTABLE", 406, "Accept application/json."),
    ("UNSUPPORTED_MEDIA_TYPE", 415, "Send the body as application/json."),
    ("THROTTLED", 429, "Wait the number of seconds in Retry-After, then try again."),
    ("REQUEST_TOO_LARGE", 413, "Send a smaller request body."),
    ("OUT_OF_RANGE", 400, "Send a number within the range the message gives."),
    ("CONTROL_CHARACTERS", 400, "Remove line breaks, tabs and other control characters from the name."),
    (
        "VENDOR_KEY_NOT_ALLOWED",
        403,
        "Use a developer or CI token here; vendor API keys reach only the staff, billing and Dodo APIs.",
    ),
    ("ASSIGNEE_INVALID", 400, "Filter by a member id (a number), or leave the filter out."),
    ("PRODUCT_INVALID", 400, "Filter by a product id or code, or leave the filter out."),
    ("SERVER_ERROR", 500, "Try again later; if it keeps happening, give the operator the request id."),
    # ---- client API (the vendor's software)
    ("area", "client"),
    ("TOKEN_MISSING", 401, "Send your auth token as `Authorization: Bearer <token>`."),
    (
        "TOKEN_INVALID",
        401,
        "Copy the whole token again from the Auth tokens page; it may be revoked or mistyped.",
    ),
    (
        "LEGACY_TOKEN_SUNSET",
        401,
        "Create a new token on the Auth tokens page and use it instead of the legacy one.",
    ),
    ("DEVELOPER_TOKEN_IN_CI", 403, "Use a CI auth token in CI; developer tokens are for people."),
    (
        "LICENSE_NOT_ASSIGNED",
        422,
        "Ask your workspace admin to assign you a license (or, for CI, one whose plan allows CI).",
    ),
    ("LICENSE_EXPIRED", 422, "Renew the license."),
    ("LICENSE_SUSPENDED", 422, "Ask the vendor to reinstate the license."),
    ("LICENSE_REVOKED", (409, 422), "Get a new license; a revoked one never works again."),
    ("ACTIVATION_LIMIT_REACHED", 422, "Deactivate a machine of this license to free a seat."),
    ("PRODUCT_MISMATCH", 422, "Use a license for the product your software sends."),
    ("CERTIFICATE_INVALID", 400, "Send the certificate exactly as Keyward issued it."),
    ("CERTIFICATE_EXPIRED", 400, "Activate the machine again to get a fresh certificate."),
    # ---- accounts
    ("area", "accounts"),
    (
        "TOKEN_SCOPE",
        403,
        "Do this logged in to the dashboard; a developer token acts only in its own workspace.",
    ),
    ("INVALID_EMAIL", 400, "Enter a valid e-mail address."),
    ("WEAK_PASSWORD", 400, "Choose a longer, less common password."),
    ("EMAIL_TAKEN", 409, "Log in with that address instead of signing up."),
    ("EMAIL_UNCHANGED", 400, "Enter an address other than your current one."),
    ("EMAIL_UNCONFIRMED", 403, "Open the confirmation link sent to your address, or send a new one."),
    ("EMAIL_ALREADY_CONFIRMED", 409, "Nothing to do: your address is confirmed."),
    ("CONFIRMATION_LINK_INVALID", 400, "Send a new confirmation link from your account page."),
    ("SIGNUP_CLOSED", 403, "Ask a workspace admin to invite you."),
    ("NAME_REQUIRED", 400, "Give it a name."),
    ("NAME_TOO_LONG", 400, "Shorten the name to the length the message gives."),
    ("NAME_INVALID", 400, "Send the name as a string."),
    ("NAME_TAKEN", 400, "Choose another name."),
    ("LABEL_TOO_LONG", 400, "Shorten the label to the length the message gives."),
    ("INVALID_SLUG", 400, "Use letters, digits and dashes, and not a reserved word."),
    ("SLUG_TAKEN", 400, "Choose another slug."),
    ("CONFIRMATION_MISMATCH", 400, "Type the workspace name exactly to confirm."),
    ("INVALID_ROLE", 400, "Use one of the roles the message lists."),
    ("UNKNOWN_CAPABILITY", 400, "Use one of the permissions the message lists."),
    ("OWNER_REQUIRED", 403, "Ask an owner of the workspace."),
    ("ROLE_TOO_HIGH", 403, "Ask someone whose role is at least the one involved."),
    ("CAPABILITY_NOT_HELD", 403, "Ask someone who holds that permission to grant it."),
    ("STAFF_REQUIRED", 403, "Ask Keyward staff; this is a staff operation."),
    ("LAST_OWNER", 409, "Make someone else an owner first."),
    ("ALREADY_MEMBER", (400, 409), "Nothing to do: they are already a member."),
    ("ALREADY_INVITED", 400, "Resend the pending invitation instead."),
    ("INVITATION_CLOSED", 409, "Send a new invitation."),
    ("INVITATION_EXPIRED", 409, "Ask a workspace admin to resend the invitation."),
    ("INVITATION_USED", 409, "Ask for a new invitation."),
    ("INVITATION_EMAIL_MISMATCH", 403, "Log in with the address the invitation was sent to."),
    ("MEMBER_NOT_FOUND", 400, "Use the id of a member of this workspace."),
    ("WORKSPACE_NOT_FOUND", 400, "Check the workspace slug."),
    # ---- licenses and catalogue
    ("area", "licenses"),
    (
        "KEY_INVALID",
        400,
        "Send a key of printable characters without spaces, or leave it out to generate one.",
    ),
    ("LICENSE_KEY_TAKEN", 400, "Choose another key, or leave it out to generate one."),
    ("KEY_GENERATION_FAILED", 409, "Try again."),
    ("METADATA_INVALID", 400, "Send metadata as a plain JSON object."),
    ("METADATA_TOO_LARGE", 400, "Keep metadata within the size the message gives."),
    ("SOURCE_INVALID", 400, "Use one of the sources the message lists."),
    ("COUNT_INVALID", 400, "Issue a number of licenses within the range the message gives."),
    ("STATUS_INVALID", 400, "Use one of the statuses the message lists."),
    ("EXTEND_INVALID", 400, "Give either a new expiry date or a positive number of days."),
    ("EXPIRY_INVALID", 400, "Send the expiry as a date and time, or empty."),
    ("EXPIRY_IN_PAST", 400, "Choose an expiry in the future."),
    ("LICENSE_NEVER_EXPIRES", 409, "Nothing to extend: the license never expires."),
    ("LICENSE_NOT_SUSPENDED", 409, "Only a suspended license can be reinstated."),
    ("LICENSE_ALREADY_ASSIGNED", 409, "Unassign the license first."),
    ("LICENSE_CI_ONLY", 409, "Assign a license of a plan that is not CI-only."),
    ("MEMBER_ALREADY_LICENSED", 409, "Unassign the member's other license of this product first."),
    ("TRIAL_NOT_ASSIGNABLE", 409, "Nothing to do: the trial covers every member."),
    ("TRIAL_ALREADY_USED", 409, "Buy a license to continue."),
    ("TRIAL_UNAVAILABLE", 409, "Contact the vendor for a license."),
    ("WORKSPACE_HAS_LICENSE", 409, "Ask an admin to assign you one of the workspace's licenses."),
    ("PRODUCT_CODE_INVALID", 400, "Use lower-case letters, digits and dashes for the product code."),
    ("PRODUCT_CODE_TAKEN", 400, "Choose another product code."),
    ("PRODUCT_NOT_FOUND", 404, "Use a product code that exists."),
    ("POLICY_INVALID", 400, "Use a value above zero, or leave it empty."),
    ("KEY_PREFIX_INVALID", 400, "Use only letters and digits, within the length the message gives."),
    ("ACTIVATION_LIMIT_INVALID", 400, "Use a whole number above zero, or leave it empty for the policy's."),
    (
        "ACTIVATION_LIMIT_LESS_THAN_CURRENT_AMOUNT",
        422,
        "Deactivate machines first, or keep the limit at or above the machines already active.",
    ),
    ("ACCESS_INVALID", 400, "Use read or read_write."),
    ("KEY_REQUIRED", 400, "Send the license key."),
    ("PRODUCT_REQUIRED", 400, "Send the product."),
    ("IMPORT_INVALID", 400, "Correct the rows the message lists by line and field; nothing was imported."),
    ("IMPORT_EMPTY", 400, "Send at least one row to import."),
    ("IMPORT_TOO_LARGE", 400, "Split the import into smaller batches."),
    ("CSV_INVALID", 400, "Upload a UTF-8 CSV with the header line the message names."),
    ("GRANT_ALREADY_FULFILLED", 409, "Nothing to do: this grant already has its key."),
    ("REASON_INVALID", 400, "Use one of the revocation reasons the message lists."),
    ("PURCHASE_ID_REQUIRED", 400, "Send either a payment_id or a subscription_id."),
    ("RETURN_URL_INVALID", 400, "Send an absolute http(s) return URL."),
    ("KEY_NOT_AVAILABLE", 409, "Look the key up where it was shown once; an encrypted policy keeps no copy."),
    # ---- staff API and billing, where vendor API keys are accepted
    ("area", "staff"),
    ("VENDOR_KEY_READ_ONLY", 403, "Use a read-write vendor API key to make changes."),
    # ---- billing events (commerce)
    ("area", "billing"),
    (
        "SIGNATURE_INVALID",
        400,
        "Sign the event with BILLING_WEBHOOK_SECRET (Standard Webhooks) and send it now.",
    ),
    ("EVENT_INVALID", 400, "Correct the named field of the event."),
    ("EVENT_ID_INVALID", 400, "Send the event id in the webhook-id header."),
    ("EVENT_TOO_LARGE", 400, "Send a smaller event."),
    ("EVENT_ALREADY_PROCESSED", 409, "Nothing to do: this event was processed already."),
    (
        "PRODUCT_UNKNOWN",
        (422, 400),
        "Map the billing product to a policy in admin, or name a product that exists.",
    ),
    ("BILLING_NOT_CONFIGURED", 409, "Set BILLING_WEBHOOK_SECRET on the server, then resend the event."),
    # ---- auth tokens
    ("area", "tokens"),
    ("TOKEN_REVOKED", 409, "Create a new token; a revoked one stays revoked."),
    ("TOO_MANY_STAGES", 400, "Limit the token to fewer stages."),
    ("INVALID_REPORT", 400, "Send a JSON array of objects, each with a string token."),
    ("REPORT_TOO_LARGE", 400, "Split the report into smaller ones."),
    ("INVALID_SIGNATURE", 400, "Sign the report with the partner key."),
    # ---- parameters
    ("area", "parameters"),
    (
        "PARAMETER_NAME_INVALID",
        400,
        "Use letters, digits, underscores, dots, slashes and dashes in the name.",
    ),
    ("PARAMETER_EXISTS", 409, "Edit the existing parameter, or choose another name."),
    ("PARAMETER_MISSING", 422, "Create the parameters the message names, or fix the template."),
    ("PARAMETER_KEY_MISSING", 409, "Put the old key back in PARAMETER_KEYS after the new one and rotate."),
    ("STAGE_INVALID", 400, "Use lower-case letters, digits, _ and - for the stage."),
    ("STAGE_NOT_FOUND", 404, "Use a stage that has parameters and that your token may read."),
    ("SECRET_READ_FORBIDDEN", 403, "Read with a CI token or as a member with manage parameters."),
    ("VALUE_INVALID", 400, "Send the value as text without NUL characters."),
    ("VALUE_TOO_LONG", 400, "Keep the value within the size the message gives."),
    ("DESCRIPTION_INVALID", 400, "Shorten the description to plain text within the length given."),
    ("INVALID_DESCRIPTION", 400, "Shorten the description to plain text within the length given."),
    # ---- webhooks
    ("area", "webhooks"),
    ("INVALID_URL", 400, "Use an https URL of a public host."),
    ("EVENT_TYPES_REQUIRED", 400, "Choose at least one event type."),
    ("UNKNOWN_EVENT_TYPE", 400, "Use one of the event types the message lists."),
    ("PAYLOAD_FORMAT_INVALID", 400, "Use one of the payload formats the message lists."),
)


def error_code(code: str) -> ErrorCode:
    return ERROR_CODES[code]


def operation_codes(*, tags, status: int) -> list[ErrorCode]:
    """The codes an operation with these tags can answer with this status."""
    areas = {"any", *(area for tag in tags for area in AREAS_BY_TAG.get(tag, ()))}
    return [entry for entry in ERROR_CODES.values() if status in entry.statuses and entry.area in areas]


def _area_statuses(tags) -> set[int]:
    areas = {area for tag in tags for area in AREAS_BY_TAG.get(tag, ())}
    return {status for entry in ERROR_CODES.values() if entry.area in areas for status in entry.statuses}


def _implied_statuses(path: str, operation: dict) -> set[int]:
    """Error statuses an operation answers by where it sits, whatever its view declares."""
    statuses = set()
    if "{workspace_slug}" in path:  # not a member: 404; a missing permission: 403; no credential: 401
        statuses |= {401, 403, 404}
    if path.startswith("/api/v1/staff/"):  # staff and vendor API keys only
        statuses |= {401, 403}
    if "{" in path or "client" in operation.get("tags", ()):  # an id, key or machine that names nothing
        statuses.add(404)
    if any(parameter.get("name") == "page" for parameter in operation.get("parameters", ())):
        statuses.add(404)  # a page past the end
    return statuses


def schema_error_codes_hook(result, generator, request, public):
    """drf-spectacular postprocessing hook: each operation's error responses list the codes it can
    answer with (`x-error-codes`, and in the description with each code's fix). Statuses that its
    part of the API raises are added when the view did not declare them."""
    error_schema = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, path_item in result.get("paths", {}).items():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            tags = operation.get("tags", ())
            responses = operation["responses"]
            declared = {int(status) for status in responses if str(status).isdigit() and int(status) >= 400}
            implied = _implied_statuses(path, operation)
            for status in sorted(declared | implied | _area_statuses(tags)):
                codes = operation_codes(tags=tags, status=status)
                if not codes:
                    continue
                response = responses.setdefault(str(status), {"description": "", "content": error_schema})
                response["x-error-codes"] = [entry.code for entry in codes]
                lines = "\n".join(f"- `{entry.code}`: {entry.fix}" for entry in codes)
                response["description"] = f"{response.get('description', '')}\n\n{lines}".strip()
    return result
