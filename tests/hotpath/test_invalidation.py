"""A change made through any of Keyward's doors is visible on the very next hot-path request of every
server (issue 12, "Proof that it stays correct").

Each test first asks both servers for the current answer, several times (`hot.everywhere`): that
checks the starting state and fills whatever cache the hot path keeps (the snapshot in the shared
Redis, and anything a worker keeps for itself). Then it changes the state through one door, on one
server, and asks both servers again at once. The servers' snapshot TTL is its 60 s default, so a
change whose service forgets to invalidate a snapshot keeps the old answer and fails here.

Without any cache (today's code) the tests pass because every request reads the database: they are
the contract the cached hot path must keep.
"""

import html.parser
import http.cookiejar
import re
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

A, B = 0, 1


def code(answer) -> str:
    return answer["code"]


def status_code(response) -> tuple:
    """(HTTP status, error code or None) of a client API call."""
    status, body = response
    return status, body.get("code")


def test_suspend_is_refused_everywhere_and_reinstate_restores(hot):
    seat, fp = hot.seats["suspend"], "suspend-laptop"
    a, b = hot.servers
    assert hot.token_activate(a, seat["token"], fp)[0] == 201

    def answers(server):
        return (
            code(hot.validate(server, seat["key"])),
            code(hot.validate(server, seat["key"], fingerprint=fp)),
            status_code(hot.token_activate(server, seat["token"], fp)),
            hot.client_info(server, seat["token"])[1]["license_status"],
        )

    hot.everywhere(answers, ("VALID", "VALID", (200, None), "active"))

    status, body = hot.staff(a, "POST", f"licenses/{seat['license']}/suspend/")
    assert (status, body["status"]) == (200, "suspended")
    hot.everywhere(answers, ("SUSPENDED", "SUSPENDED", (422, "LICENSE_SUSPENDED"), "suspended"))

    status, body = hot.staff(b, "POST", f"licenses/{seat['license']}/reinstate/")
    assert (status, body["status"]) == (200, "active")
    hot.everywhere(answers, ("VALID", "VALID", (200, None), "active"))


def test_disabling_through_the_dodo_api_is_refused_everywhere(hot):
    """Dodo's merchant API (a vendor API key) is another door to a license's status."""
    seat, fp = hot.seats["dodo"], "dodo-laptop"
    a, b = hot.servers
    assert hot.token_activate(a, seat["token"], fp)[0] == 201

    def answers(server):
        return (
            code(hot.validate(server, seat["key"], fingerprint=fp)),
            status_code(hot.token_activate(server, seat["token"], fp)),
            hot.client_info(server, seat["token"])[1]["license_status"],
        )

    def dodo_update(server, **changes):
        path = f"/compat/dodo/license_keys/{seat['license']}"
        status, body = hot.call(server, "PATCH", path, changes, token=hot.data["vendor_key"])
        assert status == 200, body
        return body

    hot.everywhere(answers, ("VALID", (200, None), "active"))
    assert dodo_update(b, disabled=True)["status"] == "disabled"
    hot.everywhere(answers, ("SUSPENDED", (422, "LICENSE_SUSPENDED"), "suspended"))
    assert dodo_update(a, disabled=False)["status"] == "active"
    hot.everywhere(answers, ("VALID", (200, None), "active"))


def test_revoke_is_refused_everywhere(hot):
    seat, fp = hot.seats["revoke"], "revoke-laptop"
    a, b = hot.servers
    assert hot.token_activate(b, seat["token"], fp)[0] == 201

    def answers(server):
        validation = hot.validate(server, seat["key"], fingerprint=fp)
        return (
            (validation["valid"], validation["code"]),
            status_code(hot.token_activate(server, seat["token"], fp)),
            hot.client_info(server, seat["token"])[1]["license_status"],
        )

    hot.everywhere(answers, ((True, "VALID"), (200, None), "active"))

    status, body = hot.staff(b, "POST", f"licenses/{seat['license']}/revoke/")
    assert (status, body["status"]) == (200, "revoked")
    hot.everywhere(answers, ((False, "REVOKED"), (422, "LICENSE_REVOKED"), "revoked"))


def test_unassigned_seat_is_gone_everywhere(hot):
    seat, fp = hot.seats["unassign"], "unassign-laptop"
    a, b = hot.servers
    assert hot.token_activate(a, seat["token"], fp)[0] == 201

    def answers(server):
        _, info = hot.client_info(server, seat["token"], fingerprint=fp)
        return (
            status_code(hot.token_activate(server, seat["token"], fp)),
            (info["license"] and info["license"]["id"], info["is_license_activated"]),
            code(hot.validate(server, seat["key"], fingerprint=fp)),
        )

    hot.everywhere(answers, ((200, None), (seat["license"], True), "VALID"))

    status, body = hot.workspace(a, "POST", f"licenses/{seat['license']}/unassign/")
    assert (status, body["assignee"]) == (200, None)
    # No seat: the token is fine but nothing is assigned, and the machine went with the seat.
    hot.everywhere(answers, ((422, "LICENSE_NOT_ASSIGNED"), (None, False), "NOT_ACTIVATED"))


def test_deactivated_machine_is_not_activated_everywhere(hot):
    seat = hot.seats["machine"]
    a, b = hot.servers
    status, body = hot.key_activate(a, seat["key"], "machine-by-key")
    assert status == 201
    by_key = body["activation"]["id"]
    status, body = hot.token_activate(b, seat["token"], "machine-by-token")
    assert status == 201
    by_token = body["activation"]["id"]

    def answers(server):
        return (
            code(hot.validate(server, seat["key"], fingerprint="machine-by-key")),
            code(hot.validate(server, seat["key"], activation_id=by_key)),
            code(hot.validate(server, seat["key"], fingerprint="machine-by-token")),
            hot.client_info(server, seat["token"], fingerprint="machine-by-token")[1]["is_license_activated"],
        )

    hot.everywhere(answers, ("VALID", "VALID", "VALID", True))

    # The client API (license key) releases one machine...
    status, body = hot.call(
        b, "POST", "/api/v1/licenses/deactivate", {"key": seat["key"], "activation_id": by_key}
    )
    assert (status, body["deactivated"]) == (200, True)
    hot.everywhere(answers, ("NOT_ACTIVATED", "NOT_ACTIVATED", "VALID", True))

    # ... and the workspace API (an admin releasing a member's machine) the other.
    status, _ = hot.workspace(a, "DELETE", f"licenses/{seat['license']}/activations/{by_token}/")
    assert status == 204
    hot.everywhere(answers, ("NOT_ACTIVATED", "NOT_ACTIVATED", "NOT_ACTIVATED", False))


def test_license_changes_by_staff_show_in_every_body(hot):
    """What the staff API can change that the hot bodies show: name, metadata and expiry."""
    seat, fp = hot.seats["license-edit"], "edit-laptop"
    a, b = hot.servers
    assert hot.token_activate(a, seat["token"], fp)[0] == 201

    def answers(server):
        validated = hot.validate(server, seat["key"], fingerprint=fp)["license"]
        _, activated = hot.token_activate(server, seat["token"], fp)
        _, info = hot.client_info(server, seat["token"])
        return (
            (validated["name"], validated["metadata"], validated["expires_at"]),
            (activated["license"]["name"], activated["license"]["expires_at"]),
            (info["license"]["name"], info["license"]["metadata"], info["license_expires_at"]),
        )

    before = hot.validate(a, seat["key"])["license"]
    name, expires = before["name"], before["expires_at"]
    hot.everywhere(answers, ((name, {}, expires), (name, expires), (name, {}, expires)))

    status, body = hot.staff(
        a, "PATCH", f"licenses/{seat['license']}/", {"name": "renamed", "metadata": {"tier": "gold"}}
    )
    assert (status, body["name"]) == (200, "renamed")
    hot.everywhere(
        answers,
        (
            ("renamed", {"tier": "gold"}, expires),
            ("renamed", expires),
            ("renamed", {"tier": "gold"}, expires),
        ),
    )

    status, body = hot.staff(b, "POST", f"licenses/{seat['license']}/extend/", {"days": 30})
    assert status == 200 and body["expires_at"] != expires
    later = body["expires_at"]
    hot.everywhere(
        answers,
        (("renamed", {"tier": "gold"}, later), ("renamed", later), ("renamed", {"tier": "gold"}, later)),
    )


class _FormFields(html.parser.HTMLParser):
    """The values a browser would submit from a Django admin change form (no submit buttons)."""

    def __init__(self):
        super().__init__()
        self.fields, self._textarea, self._select = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields[name] = attrs.get("value", "on")
            else:
                self.fields[name] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select] = attrs.get("value", "")

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def _admin_edit_policy(hot, server: str, policy_id: int, **changes) -> None:
    """Change a policy as support staff do: log in to Django admin, submit its change form."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def form_of(url):
        with browser.open(url, timeout=30) as response:
            parser = _FormFields()
            parser.feed(response.read().decode())
            return parser.fields

    def submit(url, fields):
        request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST")
        request.add_header("Referer", url)
        with browser.open(request, timeout=30) as response:
            return response.geturl(), response.read().decode()

    login = f"{server}/admin/login/?next=/admin/"
    fields = form_of(login)
    fields.update(username=hot.data["staff_email"], password=hot.data["staff_password"])
    landed, _ = submit(login, fields)
    assert landed.endswith("/admin/"), f"admin log-in failed: {landed}"

    change = f"{server}/admin/licensing/policy/{policy_id}/change/"
    fields = form_of(change)
    assert fields.get("max_activations") and fields.get("name"), fields
    fields.update(changes)
    fields["_save"] = "Save"
    landed, page = submit(change, fields)
    errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)
    assert landed.endswith("/admin/licensing/policy/"), f"the policy was not saved: {errors}"


def test_policy_change_shows_in_every_body(hot):
    """Policies change only in Django admin (the staff REST API lists and creates them)."""
    seat, fp = hot.seats["policy"], "policy-laptop"
    a, b = hot.servers
    assert hot.token_activate(b, seat["token"], fp)[0] == 201

    def answers(server):
        validated = hot.validate(server, seat["key"], fingerprint=fp)["license"]
        _, activated = hot.token_activate(server, seat["token"], fp)
        _, info = hot.client_info(server, seat["token"])
        return (
            (validated["plan"], validated["max_activations"]),
            (activated["license"]["plan"], activated["license"]["max_activations"]),
            (info["edition"]["plan"], info["license"]["max_activations"]),
        )

    limit = hot.data["limit"]
    hot.everywhere(answers, (("Before", limit), ("Before", limit), ("Before", limit)))

    _admin_edit_policy(hot, a, hot.data["policy"], name="After", max_activations=str(limit + 2))
    hot.everywhere(answers, (("After", limit + 2), ("After", limit + 2), ("After", limit + 2)))


def test_rotated_tokens_stop_working_everywhere(hot):
    seat, fp = hot.seats["rotate"], "rotate-laptop"
    a, b = hot.servers
    old_dev, old_ci = seat["token"], hot.data["ci_token"]
    assert hot.token_activate(a, old_dev, fp)[0] == 201

    def answers_for(dev, ci):
        def answers(server):
            return (
                status_code(hot.client_info(server, dev)),
                status_code(hot.token_activate(server, dev, fp)),
                status_code(hot.client_info(server, ci)),
            )

        return answers

    hot.everywhere(answers_for(old_dev, old_ci), ((200, None), (200, None), (200, None)))

    # The member resets their own developer token (with it); the owner rotates the CI token.
    status, body = hot.workspace(b, "POST", "auth-tokens/developer/rotate/", token=old_dev)
    assert status == 200
    new_dev = body["token"]
    status, body = hot.workspace(a, "POST", f"auth-tokens/ci/{hot.data['ci_token_id']}/rotate/")
    assert status == 200
    new_ci = body["token"]
    assert {new_dev, new_ci}.isdisjoint({old_dev, old_ci})

    refused = (401, "TOKEN_INVALID")
    hot.everywhere(answers_for(old_dev, old_ci), (refused, refused, refused))
    hot.everywhere(answers_for(new_dev, new_ci), ((200, None), (200, None), (200, None)))


def test_removed_member_loses_token_and_seat_everywhere(hot):
    seat, fp = hot.seats["remove"], "remove-laptop"
    a, b = hot.servers
    assert hot.token_activate(b, seat["token"], fp)[0] == 201

    def answers(server):
        return (
            status_code(hot.client_info(server, seat["token"])),
            status_code(hot.token_activate(server, seat["token"], fp)),
            code(hot.validate(server, seat["key"], fingerprint=fp)),
            code(hot.validate(server, seat["key"])),
        )

    hot.everywhere(answers, ((200, None), (200, None), "VALID", "VALID"))

    status, _ = hot.workspace(b, "DELETE", f"members/{seat['member']}/")
    assert status == 204
    # The token dies, the machine goes with the seat; the license itself stays valid, now unassigned.
    refused = (401, "TOKEN_INVALID")
    hot.everywhere(answers, (refused, refused, "NOT_ACTIVATED", "VALID"))
    status, body = hot.workspace(a, "GET", f"licenses/{seat['license']}/")
    assert (status, body["assignee"], body["activations"]) == (200, None, [])


def test_expiry_needs_no_change_to_show_everywhere(hot):
    """Nothing invalidates a snapshot when a license or a CI token simply reaches its expiry: the
    answer must still change at that moment, not up to a TTL later."""
    a, b = hot.servers
    expires = datetime.now(UTC) + timedelta(seconds=5)
    status, license = hot.staff(
        a,
        "POST",
        "licenses/",
        {
            "policy": hot.data["seat_policy"],
            "workspace": hot.data["workspace"],
            "expires_at": expires.isoformat(),
        },
    )
    assert status == 201, license
    status, ci = hot.workspace(
        b, "POST", "auth-tokens/ci/", {"name": "short-lived", "expires_at": expires.isoformat()}
    )
    assert status == 201, ci
    assert hot.key_activate(b, license["key"], "expiring-laptop")[0] == 201

    def answers(server):
        return (
            code(hot.validate(server, license["key"], fingerprint="expiring-laptop")),
            status_code(hot.client_info(server, ci["token"])),
        )

    hot.everywhere(answers, ("VALID", (200, None)))
    left = (expires - datetime.now(UTC)).total_seconds()
    assert left > 0, (
        f"the warm-up ended {-left:.1f} s after the expiry: the machine is too loaded for this test"
    )
    time.sleep(left + 0.2)
    hot.everywhere(answers, ("EXPIRED", (401, "TOKEN_INVALID")))
