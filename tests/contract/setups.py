"""What a sample needs before it can be replayed, and what it proves after.

The live recorder created its own objects (a plan, a rollout, a mount, an OAuth app...) and used
their ids in later requests; `SETUP[name](panel)` creates the same object in a fresh sandbox and
returns the request path with the sandbox's id in it. `CHECKS[name](panel, answer)` asserts what a
shape cannot show: the silent no-ops and stale answers the sample records (a PUT that drops null,
a settings PUT that answers pre-write values, a dismiss that counts ids it never found).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any, Callable

import httpx

from eclictl.sandbox import Sandbox

SAMPLES = Path(__file__).parent / "samples"

#: Sandbox stand-ins for the recorder's two throw-away users (user03 = id 5, user04 = id 6 live;
#: the sandbox's id 6 is a root admin, so both map to ordinary customer accounts).
USER03, USER04 = 10, 11
#: The recorder's "plain user" client key (key_kind says `permissions []`, but on that panel it held these).
PLAIN_KEY_PERMISSIONS = ["servers:read", "servers:list", "apikeys:read", "tickets:read", "tickets:write",
                         "billing:read", "org:read"]
CACHE_SECONDS = 11  # the panel's settings cache lives 10 s


_RECORDED_USER = re.compile(r"(/(?:users|user|fraud-alerts|fraud-scan|overrides|members)/)([56])(?=/|$)")


def sandbox_path(path: str) -> str:
    """A recorded path with the recorder's user03/user04 (ids 5, 6) replaced by their stand-ins."""
    return _RECORDED_USER.sub(lambda m: m.group(1) + str(USER03 if m.group(2) == "5" else USER04), path)


def sample_request_body(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text())["request"]["body"]


@functools.lru_cache(maxsize=1)
def _seeded() -> bytes:
    """The seeded panel, once: each replay starts from a copy (seeding is four times slower)."""
    return Sandbox(seed=0).snapshot()


class Panel:
    """A fresh sandbox plus an admin client for setup requests."""

    def __init__(self) -> None:
        self.sandbox = Sandbox(snapshot=_seeded())
        self.state = self.sandbox.state
        self.client = httpx.Client(transport=self.sandbox.transport(), base_url="http://sandbox.test")
        self.admin = {"Authorization": f"ApiKey {self.sandbox.keys['admin']}"}
        for uid in (USER03, USER04):  # the recorder's users were plain, unflagged customers
            self.state.users[uid].update(fraudFlag=False, fraudReason=None, fraudDetectedAt=None,
                                         suspended=False, role=None)
        # The recorder's plain user had no phone, billing state or limits (`/api/users/me` drops nulls).
        self.state.users[2].update(phone=None, billingState=None, limits=None)
        self._plain_key: str | None = None

    def plain_key(self) -> str:
        """A client key of the plain user holding what the recorder's "plain user" key held."""
        if self._plain_key is None:
            from eclictl.sandbox.seed import key_for

            kid = self.state.next_id("apikeys")
            self._plain_key = key_for(self.state.seed, "recorded-plain")
            self.state.apikeys[kid] = {"id": kid, "key": self._plain_key, "name": "cli-user-client",
                                       "type": "client", "permissions": list(PLAIN_KEY_PERMISSIONS), "userId": 2,
                                       "createdAt": self.state.iso(), "expiresAt": None}
        return self._plain_key

    def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.client.request(method, path, json=body, headers=self.admin)

    def ok(self, method: str, path: str, body: Any = None) -> httpx.Response:
        r = self.call(method, path, body)
        assert r.status_code in (200, 201), (method, path, r.status_code, r.text[:300])
        return r

    def post(self, path: str, body: Any) -> Any:
        return self.ok("POST", path, body).json()

    def jwt(self) -> str:
        """A login token of root, as the panel's session login mints it."""
        from eclictl.sandbox.routes.core import start_session

        return str(start_session(self.state, self.state.users[1])["token"])

    # -- the recorder's own objects ---------------------------------------------------------
    def role(self, name: str = "sample-role", perm: str | None = None) -> tuple[int, int | None]:
        rid = self.post("/api/roles", {"name": name, "description": "created by the test"})["role"]["id"]
        pid = self.post(f"/api/roles/{rid}/permissions", {"value": perm})["perm"]["id"] if perm else None
        return rid, pid

    def key(self) -> int:
        return int(self.post("/api/apikeys", {"name": "sample-temp-key", "type": "client",
                                              "permissions": ["roles:read", "admin:access"]})["id"])

    def user_role(self) -> tuple[int, int]:
        rid, _ = self.role("eclictl-sample-userrole")
        return rid, int(self.post(f"/api/users/{USER03}/roles", {"roleId": rid})["ur"]["id"])

    def plan(self) -> int:
        return int(self.post("/api/admin/plans", sample_request_body("POST_api_admin_plans"))["plan"]["id"])

    def regional_price(self) -> int:
        pid = self.plan()
        self.post(f"/api/admin/regional-prices/{pid}", {"countryCode": "DE", "price": 3.99})
        return pid

    def rollout(self) -> int:
        body = sample_request_body("POST_api_admin_rollouts")
        self.ok("POST", "/api/admin/rollouts", body)  # answers text/plain [object Object]: re-read
        rows = self.ok("GET", "/api/admin/rollouts").json()
        return int(next(r["id"] for r in rows if r["key"] == body["key"]))

    def override(self) -> int:
        rid = self.rollout()
        self.post(f"/api/admin/rollouts/{rid}/overrides", {"userId": USER03, "treatment": "v3"})
        return rid

    def mount(self) -> int:
        body = sample_request_body("POST_api_admin_mounts")
        self.ok("POST", "/api/admin/mounts", body)  # text/plain [object Object]: re-read
        rows = self.ok("GET", "/api/admin/mounts").json()
        return int(next(r["id"] for r in rows if r["name"] == body["name"]))

    def ai_model(self) -> int:
        self.ok("POST", "/api/admin/ai/models", {})  # text/plain [object Object]: re-read
        return int(max(r["id"] for r in self.ok("GET", "/api/admin/ai/models").json()))

    def shorturl(self) -> int:
        return int(self.post("/api/admin/shorturls", sample_request_body("POST_api_admin_shorturls"))["id"])

    def oauth_app(self) -> dict[str, Any]:
        return dict(self.post("/api/oauth/apps", sample_request_body("POST_api_oauth_apps")))

    def flag(self, uid: int = USER04) -> int:
        self.ok("PUT", f"/api/admin/users/{uid}", sample_request_body("PUT_api_admin_users_id_fraudFlag"))
        return uid

    def settings_put(self, body: Any) -> Any:
        return self.ok("PUT", "/api/admin/settings", body).json()


Setup = Callable[[Panel], "str | tuple[str, Any]"]  # the path, or (path, request body)


def _role_path(fmt: str, perm: str | None = None) -> Setup:
    def setup(panel: Panel) -> str:
        rid, pid = panel.role(perm=perm)
        return fmt.format(rid=rid, pid=pid)
    return setup


def _dup_role(panel: Panel) -> str:
    panel.role(name="eclictl-test-role-1795501114")
    return "/api/roles"


def _settings_put(panel: Panel) -> str:
    panel.settings_put(sample_request_body("PUT_api_admin_settings"))
    return "/api/admin/settings"


def _egg_import(panel: Panel) -> str:
    panel.ok("POST", "/api/admin/eggs/import", sample_request_body("POST_api_admin_eggs_import"))
    return "/api/admin/eggs"


def _dismiss_all(panel: Panel) -> str:
    ids = [u["id"] for u in panel.ok("GET", "/api/admin/fraud-alerts").json()]
    panel.post("/api/admin/fraud-alerts/dismiss", {"ids": ids})
    return "/api/admin/fraud-alerts"


def _blog_off(panel: Panel) -> str:
    panel.settings_put(sample_request_body("PUT_api_admin_settings_featureToggles_partial"))
    return "/api/public/features"


def _blog_off_later(panel: Panel) -> str:
    _blog_off(panel)
    panel.state.advance(CACHE_SECONDS)
    return "/api/public/features"


def _toggles_restore(panel: Panel) -> str:
    _blog_off_later(panel)
    return "/api/admin/settings"


def _oauth_off(panel: Panel) -> str:
    panel.settings_put({"featureToggles": {"oauth": False}})
    panel.state.advance(CACHE_SECONDS)
    return "/api/oauth/apps"


def _override_twice(panel: Panel) -> str:
    rid = panel.override()
    panel.ok("DELETE", f"/api/admin/rollouts/{rid}/overrides/{USER03}")
    return f"/api/admin/rollouts/{rid}/overrides/{USER03}"


def _orphan_override(panel: Panel) -> str:
    panel.post("/api/admin/rollouts/999999/overrides", {"userId": USER03})
    return f"/api/admin/rollouts/999999/overrides/{USER03}"


def _dup_rollout(panel: Panel) -> str:
    panel.rollout()
    return "/api/admin/rollouts"


def _dup_shorturl(panel: Panel) -> str:
    panel.shorturl()
    return "/api/admin/shorturls"


def _assigned_ticket(panel: Panel) -> str:
    panel.ok("PUT", "/api/admin/tickets/1", {"assignedTo": 3})
    return "/api/admin/tickets/1"


def _unassign(panel: Panel) -> str:
    panel.ok("PUT", _assigned_ticket(panel), {"assignedTo": None})
    return "/api/admin/tickets"


def _no_rollouts(path: str) -> Setup:
    def setup(panel: Panel) -> str:
        panel.state.rollouts.clear()  # the recorder's panel had none (tunnels are rollout-gated)
        return path
    return setup


def _qemu_export(panel: Panel) -> str:
    """The recorded egg 5 was the QEMU egg (with an install script); here it has another id."""
    egg = next(e for e in panel.state.eggs.values() if e["name"] == "QEMU - Debian 13 VM")
    return f"/api/admin/eggs/{egg['id']}/export"


def _no_antiabuse_form(path: str) -> Setup:
    def setup(panel: Panel) -> str:  # the recorder's panel had never received an anti-abuse incident
        forms = panel.state.app_forms
        for fid in [k for k, f in forms.items() if f.get("slug") == "antiabuse-incidents"]:
            del forms[fid]
        return path
    return setup


def _local_mariadb(panel: Panel) -> str:
    """The recorder's panel had a MariaDB server on its own host (the sample's dummy password fails)."""
    panel.state.database_servers[("127.0.0.1", 3306)] = {"root": "a-real-password"}
    return "/api/admin/database-hosts"


def _assign_role(panel: Panel) -> tuple[str, Any]:
    rid, _ = panel.role("eclictl-sample-userrole")
    return f"/api/users/{USER03}/roles", {"roleId": rid}


#: sample name -> setup(panel) returning the request path to use.
SETUP: dict[str, Setup] = {
    "DELETE_api_apikeys_id": lambda p: f"/api/apikeys/{p.key()}",
    "GET_api_apikeys_id": lambda p: f"/api/apikeys/{p.key()}",
    "DELETE_api_roles_id": _role_path("/api/roles/{rid}"),
    "DELETE_api_roles_id_500_role_has_permissions": _role_path("/api/roles/{rid}", "servers:read"),
    "DELETE_api_roles_id_permissions_permId": _role_path("/api/roles/{rid}/permissions/{pid}", "servers:read"),
    "GET_api_roles_id": _role_path("/api/roles/{rid}"),
    "GET_api_roles_id_permissions": _role_path("/api/roles/{rid}/permissions", "servers:read"),
    "POST_api_roles_id_permissions": _role_path("/api/roles/{rid}/permissions"),
    "POST_api_roles_500_duplicate_name": _dup_role,
    "GET_api_admin_settings_after_put": _settings_put,
    "GET_api_admin_eggs_after_import": _egg_import,
    "GET_api_admin_fraud-alerts_after_dismiss": _dismiss_all,
    # users: the recorder's user03/user04
    "POST_api_users_id_roles": _assign_role,
    "GET_api_users_id_roles_after_assign": lambda p: f"/api/users/{USER03}/roles" if p.user_role() else "",
    "DELETE_api_users_id_roles_urId": lambda p: f"/api/users/{USER03}/roles/{p.user_role()[1]}",
    "PUT_api_admin_users_id_fraudReason_empty": lambda p: f"/api/admin/users/{p.flag()}",
    "PUT_api_admin_users_id_fraudReason_null": lambda p: f"/api/admin/users/{p.flag()}",
    "GET_api_admin_fraud-alerts_with_flagged_user": lambda p: "/api/admin/fraud-alerts" if p.flag() else "",
    "PUT_api_admin_fraud-alerts_id_dismiss": lambda p: f"/api/admin/fraud-alerts/{p.flag()}",
    "PUT_api_admin_fraud-alerts_id_unknown_action": lambda p: f"/api/admin/fraud-alerts/{p.flag()}",
    # plans, regional prices
    "GET_api_admin_plans_after_create": lambda p: "/api/admin/plans" if p.plan() else "",
    "PUT_api_admin_plans_id": lambda p: f"/api/admin/plans/{p.plan()}",
    "PUT_api_admin_plans_id_null_description": lambda p: f"/api/admin/plans/{p.plan()}",
    "PUT_api_admin_plans_id_boost": lambda p: f"/api/admin/plans/{p.plan()}/boost",
    "DELETE_api_admin_plans_id": lambda p: f"/api/admin/plans/{p.plan()}",
    "DELETE_api_admin_plans_id_boost": lambda p: f"/api/admin/plans/{p.plan()}/boost",
    "POST_api_admin_plans_id_reapply-limits": lambda p: f"/api/admin/plans/{p.plan()}/reapply-limits",
    "GET_api_admin_ai_plans_planId_models": lambda p: f"/api/admin/ai/plans/{p.plan()}/models",
    "POST_api_admin_regional-prices_planId": lambda p: f"/api/admin/regional-prices/{p.plan()}",
    "POST_api_admin_regional-prices_planId_missing_price": lambda p: f"/api/admin/regional-prices/{p.plan()}",
    "GET_api_admin_regional-prices_planId": lambda p: f"/api/admin/regional-prices/{p.regional_price()}",
    "DELETE_api_admin_regional-prices_planId_countryCode":
        lambda p: f"/api/admin/regional-prices/{p.regional_price()}/DE",
    # rollouts
    "GET_api_admin_rollouts_after_create": lambda p: "/api/admin/rollouts" if p.rollout() else "",
    "PUT_api_admin_rollouts_id": lambda p: f"/api/admin/rollouts/{p.rollout()}",
    "PUT_api_admin_rollouts_id_bad_type": lambda p: f"/api/admin/rollouts/{p.rollout()}",
    "DELETE_api_admin_rollouts_id": lambda p: f"/api/admin/rollouts/{p.rollout()}",
    "POST_api_admin_rollouts_duplicate_key": _dup_rollout,
    "POST_api_admin_rollouts_id_overrides": lambda p: f"/api/admin/rollouts/{p.rollout()}/overrides",
    "POST_api_admin_rollouts_id_overrides_missing_userId":
        lambda p: f"/api/admin/rollouts/{p.rollout()}/overrides",
    "GET_api_admin_rollouts_id_overrides": lambda p: f"/api/admin/rollouts/{p.override()}/overrides",
    "DELETE_api_admin_rollouts_id_overrides_userId":
        lambda p: f"/api/admin/rollouts/{p.override()}/overrides/{USER03}",
    "DELETE_api_admin_rollouts_id_overrides_userId_again": _override_twice,
    "DELETE_api_admin_rollouts_id_overrides_userId_missing_rollout": _orphan_override,
    # mounts, AI models, short URLs, OAuth apps
    "GET_api_admin_mounts_after_create": lambda p: "/api/admin/mounts" if p.mount() else "",
    "PUT_api_admin_mounts_id": lambda p: f"/api/admin/mounts/{p.mount()}",
    "DELETE_api_admin_mounts_id": lambda p: f"/api/admin/mounts/{p.mount()}",
    "GET_api_admin_ai_models_after_empty_create": lambda p: "/api/admin/ai/models" if p.ai_model() else "",
    "PUT_api_admin_ai_models_id": lambda p: f"/api/admin/ai/models/{p.ai_model()}",
    "DELETE_api_admin_ai_models_id": lambda p: f"/api/admin/ai/models/{p.ai_model()}",
    "GET_api_admin_shorturls_after_create": lambda p: "/api/admin/shorturls" if p.shorturl() else "",
    "PUT_api_admin_shorturls_id": lambda p: f"/api/admin/shorturls/{p.shorturl()}",
    "PUT_api_admin_shorturls_id_active_false": lambda p: f"/api/admin/shorturls/{p.shorturl()}",
    "DELETE_api_admin_shorturls_id": lambda p: f"/api/admin/shorturls/{p.shorturl()}",
    "POST_api_admin_shorturls_duplicate_code": _dup_shorturl,
    "GET_api_oauth_apps_after_create": lambda p: "/api/oauth/apps" if p.oauth_app() else "",
    "GET_api_oauth_apps_clientId": lambda p: f"/api/oauth/apps/{p.oauth_app()['clientId']}",
    "PUT_api_oauth_apps_id": lambda p: f"/api/oauth/apps/{p.oauth_app()['id']}",
    "PUT_api_oauth_apps_id_bad_redirectUris": lambda p: f"/api/oauth/apps/{p.oauth_app()['id']}",
    "DELETE_api_oauth_apps_id": lambda p: f"/api/oauth/apps/{p.oauth_app()['id']}",
    "POST_api_oauth_apps_id_rotate-secret": lambda p: f"/api/oauth/apps/{p.oauth_app()['id']}/rotate-secret",
    # settings and flags (the 10 s cache)
    "GET_api_public_features_right_after_put": _blog_off,
    "GET_api_public_features_after_cache_expiry": _blog_off_later,
    "PUT_api_admin_settings_featureToggles_restore": _toggles_restore,
    "GET_api_oauth_apps_503_feature_disabled": _oauth_off,
    "GET_api_tunnel_devices_403_feature_not_available": _no_rollouts("/api/tunnel/devices"),
    "GET_api_tunnel_allocations_403_feature_not_available": _no_rollouts("/api/tunnel/allocations"),
    "GET_api_rollouts": _no_rollouts("/api/rollouts"),
    "GET_api_admin_eggs_id_export": _qemu_export,
    "POST_api_admin_database-hosts": _local_mariadb,
    "DELETE_api_admin_antiabuse_incidents_999999_404": _no_antiabuse_form("/api/admin/antiabuse/incidents/999999"),
    "GET_api_admin_antiabuse_incidents": _no_antiabuse_form("/api/admin/antiabuse/incidents"),
    # tickets
    "PUT_api_admin_tickets_id_assignedTo_null": _assigned_ticket,
    "GET_api_admin_tickets_after_assignedTo_null": _unassign,
}


# -- checks beyond the shape ------------------------------------------------------------------
Check = Callable[[Panel, Any], None]


def _user(panel: Panel, uid: int) -> dict[str, Any]:
    return panel.state.users[uid]


def _check_plan_null(panel: Panel, answer: Any) -> None:
    assert "description" not in answer["plan"]  # null is dropped from the answer...
    plan = next(p for p in panel.ok("GET", "/api/admin/plans").json() if p["name"] == "eclictl-sample-plan")
    assert plan["description"] == "sampler"  # ...and from the write


def _check_reason_kept(panel: Panel, answer: Any) -> None:
    assert _user(panel, USER04)["fraudReason"] == "sampler test flag"  # "" and null are skipped


def _check_dismiss(panel: Panel, answer: Any) -> None:
    row = _user(panel, USER04)
    assert row["fraudFlag"] is False and row["fraudReason"] == "sampler test flag"


def _check_unknown_action(panel: Panel, answer: Any) -> None:
    assert _user(panel, USER04)["fraudFlag"] is True  # "bogus" did nothing


def _check_stale_settings(blog: bool) -> Check:
    def check(panel: Panel, answer: Any) -> None:
        assert answer["settings"]["featureToggles"]["blog"] is blog  # the pre-write (cached) value
        assert "unknownSettingKey" not in answer["settings"]
    return check


def _check_blog_off_later(panel: Panel, answer: Any) -> None:
    panel.state.advance(CACHE_SECONDS)
    fresh = panel.ok("GET", "/api/admin/settings").json()["featureToggles"]
    assert fresh["blog"] is False and fresh["registration"] is True  # merged, not replaced


def _check_restored(panel: Panel, answer: Any) -> None:
    panel.state.advance(CACHE_SECONDS)
    assert panel.ok("GET", "/api/public/features").json()["featureToggles"]["blog"] is True


def _check_fraud_flag(panel: Panel, answer: Any) -> None:
    row = _user(panel, USER04)
    assert row["fraudFlag"] is True and row["fraudDetectedAt"] is None  # not dated when set by hand


def _check_features(blog: bool) -> Check:
    def check(panel: Panel, answer: Any) -> None:
        assert answer["featureToggles"]["blog"] is blog
    return check


def _check_shorturl_active(panel: Panel, answer: Any) -> None:
    assert answer["active"] is True  # `active` is not an editable field


def _check_bad_prefix(panel: Panel, answer: Any) -> None:
    assert answer["prefix"] == "a" and answer["targetUrl"] == "https://example.com/"


def _check_hidden_ignored(panel: Panel, answer: Any) -> None:
    plan = answer["plan"]
    assert plan["hiddenFromBilling"] is False  # `hidden` is not a plan field
    assert plan["databases"] == 0 and plan["backups"] == 0  # column defaults, not null


def _check_mount_read_only(panel: Panel, answer: Any) -> None:
    rows = panel.ok("GET", "/api/admin/mounts").json()
    assert next(r for r in rows if r["name"] == "eclictl-sample-mount")["read_only"] is False


def _check_per_capped(panel: Panel, answer: Any) -> None:
    assert answer["per"] == 50 and len(answer["users"]) == 50


def _check_nameless_model(panel: Panel, answer: Any) -> None:
    assert any(r["name"] == "" for r in answer)


def _check_orphan_override(panel: Panel, answer: Any) -> None:
    rows = panel.ok("GET", "/api/admin/rollouts/999999/overrides").json()
    assert [r["id"] for r in rows] == [answer["id"]]  # stored for a rollout that does not exist


def _check_redirect_string(panel: Panel, answer: Any) -> None:
    assert answer["app"]["redirectUris"] == "not-a-list"  # PUT does not validate


def _check_ticket_kept(panel: Panel, answer: Any) -> None:
    assert answer["ticket"]["assignedTo"] is not None  # null is ignored, the assignee stays


def _check_status_literal(panel: Panel, answer: Any) -> None:
    assert answer["tickets"] == [] and answer["total"] == 0


def _check_bad_type_name(panel: Panel, answer: Any) -> None:
    assert _user(panel, USER03)["firstName"] == "12345"


def _check_city_cleared(panel: Panel, answer: Any) -> None:
    assert _user(panel, USER03)["billingCity"] is None  # here null DOES clear


def _check_counted_ids(panel: Panel, answer: Any) -> None:
    assert answer["dismissed"] == 1


def _check_queued(panel: Panel, answer: Any) -> None:
    assert answer["status"] == "queued"


def _both(first: Check, second: Check) -> Check:
    def check(panel: Panel, answer: Any) -> None:
        first(panel, answer)
        second(panel, answer)
    return check


#: sample name -> check(panel, parsed answer) run after a matching replay.
CHECKS: dict[str, Check] = {
    "PUT_api_admin_plans_id_null_description": _check_plan_null,
    "PUT_api_admin_users_id_fraudReason_empty": _check_reason_kept,
    "PUT_api_admin_users_id_fraudReason_null": _check_reason_kept,
    "PUT_api_admin_users_id_fraudFlag": _check_fraud_flag,
    "PUT_api_admin_users_id_bad_type": _check_bad_type_name,
    "PUT_api_admin_users_id_null_billingCity": _check_city_cleared,
    "PUT_api_admin_fraud-alerts_id_dismiss": _check_dismiss,
    "PUT_api_admin_fraud-alerts_id_unknown_action": _check_unknown_action,
    "POST_api_admin_fraud-alerts_dismiss_unknown_ids": _check_counted_ids,
    "PUT_api_admin_settings_featureToggles_partial": _both(_check_stale_settings(True), _check_blog_off_later),
    "PUT_api_admin_settings_featureToggles_restore": _both(_check_stale_settings(False), _check_restored),
    "PUT_api_admin_settings_unknown_key": _check_stale_settings(True),
    "GET_api_public_features_right_after_put": _check_features(True),
    "GET_api_public_features_after_cache_expiry": _check_features(False),
    "PUT_api_admin_shorturls_id_active_false": _check_shorturl_active,
    "POST_api_admin_shorturls_bad_prefix": _check_bad_prefix,
    "POST_api_admin_plans": _check_hidden_ignored,
    "POST_api_admin_mounts": _check_mount_read_only,
    "GET_api_admin_users_per_100_capped": _check_per_capped,
    "GET_api_admin_ai_models_after_empty_create": _check_nameless_model,
    "POST_api_admin_rollouts_999999_overrides_missing_rollout": _check_orphan_override,
    "PUT_api_oauth_apps_id_bad_redirectUris": _check_redirect_string,
    "PUT_api_admin_tickets_id_assignedTo_null": _check_ticket_kept,
    "GET_api_admin_tickets_status_pending": _check_status_literal,
    "POST_api_admin_sync-wings": _check_queued,
}

#: Ticket messages are a JSON list whose entries carry optional keys (backend/src/models/ticket.entity.ts):
#: a staff reply from the ticket page adds staffId/staffName/..., an upload adds attachments. The recorded
#: tickets only had plain ones.
TICKET_MESSAGE_KEYS = frozenset({"staffId", "staffName", "staffDisplayName", "staffLegalName", "staffAvatar", "ai",
                                 "attachments", "edited", "seen", "reactions"})

#: sample name -> optional keys: the sandbox may add or lack them whatever the recorded answer shows.
OPTIONAL_KEYS: dict[str, frozenset[str]] = {
    # the slow-query log keeps TypeORM's `parameters` argument, undefined for a query without any
    # (backend/src/config/typeorm.ts logQuerySlow)
    "GET_api_admin_slow-queries": frozenset({"parameters"}),
    # an egg export's meta names update_url, rootless, requires_kvm only when set (eggHandler.ts)
    "GET_api_admin_eggs_id_export": frozenset({"update_url", "rootless", "requires_kvm"}),
    "GET_api_admin_tickets": TICKET_MESSAGE_KEYS,
    "GET_api_admin_tickets_after_assignedTo_null": TICKET_MESSAGE_KEYS,
    "PUT_api_admin_tickets_id_assignedTo_null": TICKET_MESSAGE_KEYS,
}

#: sample name -> a regular expression for the part of its error text that differs per environment.
VARIABLE_TEXT: dict[str, str] = {
    "POST_api_admin_database-hosts": r"conn:-?\d+",  # MariaDB's connection id
}
