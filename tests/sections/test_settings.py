"""`eclictl settings`, `flags`, `geoblock` against the sandbox panel (docs/panel/settings.md)."""

from __future__ import annotations

import io
import json
from typing import Any, Callable

import httpx
import pytest

from tests.conftest import SANDBOX_URL, Result

PATH = "/api/admin/settings"


@pytest.fixture
def cli_clock(sandbox: Any, isolated_config: Any) -> Callable[..., Result]:
    """Like `cli`, but the CLI's (recorded) sleeps move the sandbox's virtual clock forward."""
    from eclictl.context import Factory, IOStreams
    from eclictl.main import run

    def invoke(*args: str, stdin: str = "", key: str = "admin") -> Result:
        streams = IOStreams(io.StringIO(stdin), io.StringIO(), io.StringIO(), False, False, False)
        env = {"ECLICTL_CONFIG_DIR": str(isolated_config), "ECLICTL_URL": SANDBOX_URL,
               "ECLICTL_API_KEY": sandbox.keys[key]}
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            sandbox.state.advance(seconds)

        factory = Factory(io=streams, env=env, transport=sandbox.transport(), sleep=sleep,
                          open_browser=lambda u: True)
        code = run(list(args), factory)
        return Result(code, streams.stdout.getvalue(), streams.stderr.getvalue(), sleeps)

    return invoke


def raw(sandbox: Any, method: str, path: str, body: Any = None, key: str = "admin") -> httpx.Response:
    client = httpx.Client(transport=sandbox.transport(), base_url=SANDBOX_URL)
    return client.request(method, path, json=body, headers={"Authorization": f"ApiKey {sandbox.keys[key]}"})


def puts(sandbox: Any) -> list[tuple[str, str, int]]:
    return [r for r in sandbox.requests if r[0] == "PUT" and r[1].startswith(PATH)]


def stored_flags(sandbox: Any) -> dict[str, Any]:
    return sandbox.state.settings.get("panelFeatureToggles") or {}


# -- the sandbox itself ------------------------------------------------------------------------
def test_sandbox_really_has_the_flag_cache_problem(sandbox: Any) -> None:
    """docs/panel/settings.md#writing-settings: two PUTs changing different flags within 10 s: the second restores the first flag."""
    assert raw(sandbox, "PUT", PATH, {"featureToggles": {"ai": False}}).status_code == 200
    answer = raw(sandbox, "PUT", PATH, {"featureToggles": {"blog": False}}).json()
    assert answer["settings"]["featureToggles"]["blog"] is True  # the answer shows the cached (old) flags
    assert stored_flags(sandbox)["ai"] is True  # the first change was undone
    assert stored_flags(sandbox)["blog"] is False
    sandbox.state.advance(11)
    flags = raw(sandbox, "GET", PATH).json()["featureToggles"]
    assert (flags["ai"], flags["blog"]) == (True, False)


def test_sandbox_cache_window_is_configurable(sandbox: Any) -> None:
    sandbox.state.flag_cache_seconds = 0
    raw(sandbox, "PUT", PATH, {"featureToggles": {"ai": False}})
    raw(sandbox, "PUT", PATH, {"featureToggles": {"blog": False}})
    assert (stored_flags(sandbox)["ai"], stored_flags(sandbox)["blog"]) == (False, False)


def test_sandbox_stores_type_garbage_like_the_panel(sandbox: Any) -> None:
    body = {"registrationEnabled": 0, "billingCurrency": " eur ", "gamblingPowerDenyChance": "lots",
            "gamblingResourceLuckyChance": 7, "portalDescriptions": None, "nonsense": 1,
            "featureToggles": {"chat": "nope", "elo": "0"}, "webauthn": "not an object"}
    r = raw(sandbox, "PUT", PATH, body)
    assert r.status_code == 200 and r.json()["success"] is True
    s = sandbox.state.settings
    assert s["registrationEnabled"] == "0" and s["billingCurrency"] == "EUR" and "nonsense" not in s
    assert s["portalDescriptions"] == "null" and "webauthn" not in s
    assert stored_flags(sandbox)["chat"] is True and stored_flags(sandbox)["elo"] is False
    got = raw(sandbox, "GET", PATH).json()
    assert got["registrationEnabled"] is True  # "0" reads as enabled
    assert got["gamblingPowerDenyChance"] == 0.5 and got["gamblingResourceLuckyChance"] == 1.0
    assert "org_formation_fee" not in got


def test_sandbox_feature_gate_reads_flags_through_the_cache(sandbox: Any) -> None:
    assert raw(sandbox, "GET", "/api/admin/tickets").status_code == 200  # fills the cache
    raw(sandbox, "PUT", PATH, {"featureToggles": {"ticketing": False}})
    assert raw(sandbox, "GET", "/api/admin/tickets").status_code == 200  # still the cached copy
    sandbox.state.advance(11)
    r = raw(sandbox, "GET", "/api/admin/tickets")
    assert (r.status_code, r.json()) == (503, {"error": "common.featureDisabled"})
    public = httpx.Client(transport=sandbox.transport(), base_url=SANDBOX_URL).get("/api/public/features")
    assert public.json()["featureToggles"]["ticketing"] is False


# -- settings show / set ---------------------------------------------------------------------
def test_show_all_and_one(cli: Any, sandbox: Any) -> None:
    sandbox.state.settings["billingCurrency"] = "GBP"
    r = cli("settings", "show", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    assert body["billingCurrency"] == "GBP" and body["featureToggles"]["ai"] is True
    one = cli("settings", "show", "billingCurrency", "-o", "json")
    assert one.json() == {"billingCurrency": "GBP"}
    nested = cli("settings", "show", "webauthn.rpId", "-o", "json")
    assert nested.json() == {"webauthn.rpId": "localhost"}


def test_show_unknown_and_write_only_keys_are_usage_errors(cli: Any) -> None:
    r = cli("settings", "show", "nope")
    assert r.exit_code == 2 and "no setting 'nope'" in r.stderr
    r = cli("settings", "show", "org_formation_fee")
    assert r.exit_code == 2 and "write-only" in r.stderr


def test_show_with_plain_key_is_403(cli: Any) -> None:
    r = cli("settings", "show", key="plain")
    assert r.exit_code == 5, r
    assert "Insufficient permissions (api key)" in r.stderr


def test_set_typed_values_are_stored(cli: Any, sandbox: Any) -> None:
    r = cli("settings", "set", "billingCurrency=eur", "registrationEnabled=false", "gamblingPowerDenyChance=0.25",
            'portalDescriptions={"free": "Try it"}', "geoBlockCountries=ru:5, by:4", "org_formation_fee=2.5",
            "-o", "json")
    assert r.exit_code == 0, r
    s = sandbox.state.settings
    assert s["billingCurrency"] == "EUR" and s["registrationEnabled"] == "false"
    assert s["gamblingPowerDenyChance"] == "0.25" and json.loads(s["portalDescriptions"]) == {"free": "Try it"}
    assert s["geoBlockCountries"] == "ru:5, by:4" and s["org_formation_fee"] == "2.5"
    assert len(puts(sandbox)) == 1
    assert r.json()["settings"]["billingCurrency"] == "EUR"


@pytest.mark.parametrize("pair, message", [
    ("registrationEnabled=maybe", "boolean"),
    ("registrationEnabled", "KEY=VALUE"),
    ("gamblingPowerDenyChance=2", "0-1"),
    ("gamblingPowerDenyChance=high", "number"),
    ("billingCurrency=euro", "3-letter"),
    ("unknownKey=1", "unknown setting"),
    ("geoBlockCountries=ru:9", "0-5"),
    ("geoBlockCountries=ru:5:3", "<country>:<level>"),  # three parts: the panel skips it
    ("geoBlockCountries=ru:2x", "a number"),
    ("countryAgeRules=de:30", "0-25"),
    ("billingTaxRules=DE:lots", "a number"),
    ("kycRequiredCountries=de,ru:5", "commas only"),
    ("portalDescriptions={broken", "JSON"),
    ("featureToggles.ai=perhaps", "boolean"),
    ("webauthn.registrationTimeoutSeconds=soon", "seconds"),
    ("webauthn.colour=red", "unknown webauthn field"),
])
def test_set_type_errors_never_send_a_request(cli: Any, sandbox: Any, pair: str, message: str) -> None:
    before = dict(sandbox.state.settings)
    r = cli("settings", "set", "registrationNotice=ok", pair)
    assert r.exit_code == 2, r
    assert message in r.stderr
    assert sandbox.requests == []  # no request at all, so certainly no PUT
    assert sandbox.state.settings == before


def test_set_dry_run_sends_nothing(cli: Any, sandbox: Any) -> None:
    r = cli("settings", "set", "billingCurrency=EUR", "--dry-run", "-o", "json")
    assert r.exit_code == 0 and r.json()["body"] == {"billingCurrency": "EUR"}
    assert puts(sandbox) == [] and "billingCurrency" not in sandbox.state.settings


def test_set_webauthn_field_sends_the_whole_object(cli: Any, sandbox: Any) -> None:
    r = cli("settings", "set", "webauthn.allowDiscoverable=true")
    assert r.exit_code == 0, r
    stored = json.loads(sandbox.state.settings["webauthn"])
    assert stored["allowDiscoverable"] is True and stored["registrationTimeoutSeconds"] == 300
    assert "replaces the whole stored object" in r.stderr


# -- flags --------------------------------------------------------------------------------------
def test_two_flag_changes_in_one_command_both_stick(cli_clock: Any, sandbox: Any) -> None:
    """The cache would undo one of two separate PUTs (test above); one PUT with both flags sticks."""
    r = cli_clock("flags", "disable", "ai", "blog", "--yes", "-o", "json")
    assert r.exit_code == 0, r
    assert len(puts(sandbox)) == 1
    assert r.sleeps and r.sleeps[0] > 10
    assert (stored_flags(sandbox)["ai"], stored_flags(sandbox)["blog"]) == (False, False)
    assert {row["flag"]: (row["now"], row["status"]) for row in r.json()} == {
        "ai": (False, "ok"), "blog": (False, "ok")}
    back = cli_clock("flags", "enable", "ai", "blog", "-o", "json")
    assert back.exit_code == 0, back
    assert (stored_flags(sandbox)["ai"], stored_flags(sandbox)["blog"]) == (True, True)


def test_flag_disable_gates_the_panel_after_the_cache(cli_clock: Any, sandbox: Any) -> None:
    assert cli_clock("flags", "disable", "ticketing", "--yes").exit_code == 0
    r = cli_clock("tickets", "list")
    assert r.exit_code == 9, r


def test_flag_verification_failure_names_the_flags(cli_clock: Any, sandbox: Any) -> None:
    sandbox.state.flag_cache_seconds = 100  # longer than the CLI waits: the read-back is stale
    r = cli_clock("flags", "disable", "ai", "chat", "--yes")
    assert r.exit_code == 1, r
    assert "did not stick: ai, chat" in r.stderr
    assert stored_flags(sandbox)["ai"] is False  # it was written; only the verification failed


def test_flags_no_verify_skips_the_wait(cli: Any, sandbox: Any) -> None:
    r = cli("flags", "disable", "elo", "--yes", "--no-verify", "-o", "json")
    assert r.exit_code == 0, r
    assert r.sleeps == [] and stored_flags(sandbox)["elo"] is False
    assert r.json()[0]["status"] == "not verified"
    assert [m for m, p, _ in sandbox.requests if p.startswith(PATH)] == ["GET", "PUT"]


def test_flags_verify_sleeps_through_the_factory(cli: Any, sandbox: Any) -> None:
    r = cli("flags", "disable", "calendar", "--wait", "12", "--yes")
    assert r.sleeps == [12.0]
    assert r.exit_code == 1  # the test clock did not move: the panel still serves its cached copy


def test_unknown_flag_is_refused_unless_allowed(cli: Any, sandbox: Any) -> None:
    r = cli("flags", "enable", "tiketing")
    assert r.exit_code == 2 and "did you mean 'ticketing'" in r.stderr
    assert puts(sandbox) == []
    r = cli("flags", "enable", "bad name")
    assert r.exit_code == 2 and sandbox.requests[-1][0] == "GET"
    r = cli("flags", "enable", "newThing", "--allow-unknown", "--no-verify")
    assert r.exit_code == 0, r
    assert stored_flags(sandbox)["newThing"] is True


def test_flag_known_only_to_the_panel_is_accepted(cli: Any, sandbox: Any) -> None:
    sandbox.state.settings["panelFeatureToggles"] = {"betaThing": True}
    r = cli("flags", "disable", "betaThing", "--yes", "--no-verify")
    assert r.exit_code == 0, r
    assert stored_flags(sandbox)["betaThing"] is False


def test_disable_needs_yes_without_a_terminal(cli: Any, sandbox: Any) -> None:
    r = cli("flags", "disable", "ai")
    assert r.exit_code == 2 and "--yes" in r.stderr
    assert puts(sandbox) == []


def test_flags_list(cli: Any, sandbox: Any) -> None:
    sandbox.state.settings.setdefault("featureToggles", {})["ticketing"] = False
    r = cli("flags", "list", "-o", "json")
    assert r.exit_code == 0, r
    rows = {row["flag"]: row for row in r.json()}
    assert rows["ticketing"]["enabled"] is False and rows["ticketing"]["changed"] is True
    assert rows["captchaInvisible"]["default"] is False
    changed = cli("flags", "list", "--changed", "-o", "json").json()
    assert [row["flag"] for row in changed] == ["ticketing"]
    assert cli("flags", "list", key="plain").exit_code == 5


# -- geoblock -----------------------------------------------------------------------------------
def test_geoblock_round_trip(cli: Any, sandbox: Any) -> None:
    assert cli("geoblock", "add", "ru", "BY", "--level", "5", "--yes").exit_code == 0
    assert sandbox.state.settings["geoBlockCountries"] == "ru:5, by:5"
    assert cli("geoblock", "add", "de:2", "by:4", "--yes").exit_code == 0
    assert sandbox.state.settings["geoBlockCountries"] == "ru:5, by:4, de:2"
    rows = cli("geoblock", "list", "-o", "json").json()
    assert [(r["country"], r["level"]) for r in rows] == [("ru", 5), ("by", 4), ("de", 2)]
    assert cli("geoblock", "remove", "ru", "--yes").exit_code == 0
    assert sandbox.state.settings["geoBlockCountries"] == "by:4, de:2"
    assert len(puts(sandbox)) == 3


def test_geoblock_keeps_entries_it_does_not_understand(cli: Any, sandbox: Any) -> None:
    sandbox.state.settings["geoBlockCountries"] = "ru=5\nfoo bar\nxx;3\nby:4"
    rows = {r["entry"]: r for r in cli("geoblock", "list", "-o", "json").json()}
    assert rows["foo bar"]["country"] is None and "ignored by the panel" in rows["foo bar"]["note"]
    assert rows["xx;3"]["level"] == 3 and "applied by the panel" in rows["xx;3"]["note"]
    assert cli("geoblock", "add", "cn", "-l", "2", "--yes").exit_code == 0
    assert sandbox.state.settings["geoBlockCountries"] == "ru=5\nfoo bar\nxx;3\nby:4\ncn:2"
    assert cli("geoblock", "remove", "ru", "xx", "--yes").exit_code == 0
    assert sandbox.state.settings["geoBlockCountries"] == "foo bar\nby:4\ncn:2"


@pytest.mark.parametrize("args, message", [
    (("add", "zz", "--level", "3"), "ISO 3166"),
    (("add", "uk", "--level", "3"), "GB"),
    (("add", "ru"), "no level"),
    (("add", "ru:7"), "0-5"),
    (("add", "ru", "--level", "9"), "--level"),
])
def test_geoblock_bad_input_is_refused_before_any_request(cli: Any, sandbox: Any, args: tuple[str, ...],
                                                          message: str) -> None:
    r = cli("geoblock", *args, "--yes")
    assert r.exit_code == 2, r
    assert message in r.stderr
    assert sandbox.requests == []


def test_geoblock_dry_run_and_noop(cli: Any, sandbox: Any) -> None:
    r = cli("geoblock", "add", "ru:5", "--dry-run", "-o", "json")
    assert r.exit_code == 0 and r.json()["geoBlockCountries"] == "ru:5"
    r = cli("geoblock", "remove", "ru", "-o", "json")
    assert r.exit_code == 0 and r.json()["changes"][0]["status"] == "not present"
    assert puts(sandbox) == []
    assert cli("geoblock", "add", "ru:5").exit_code == 2  # a change needs --yes without a terminal


def test_geoblock_metrics(cli: Any, sandbox: Any) -> None:
    sandbox.state.settings["geoBlockCountries"] = "de:2, us:5"
    r = cli("geoblock", "metrics", "-o", "json")
    assert r.exit_code == 0, r
    body = r.json()
    users = list(sandbox.state.users.values())

    def level(u: dict[str, Any]) -> int:
        text = str(u.get("billingCountry") or "").strip().lower()
        return {"de": 2, "us": 5}.get(text, {"de": 2, "us": 5}.get(text[:2], 0))

    assert body["totalUsers"] == len(users) and body["rules"] == {"de": 2, "us": 5}
    assert body["blocked"]["free"] == sum(level(u) >= 2 for u in users)
    assert body["blocked"]["registration"] == sum(level(u) >= 5 for u in users) > 0
    rows = cli("geoblock", "metrics", "--by-country", "-o", "json").json()
    assert rows == body  # json keeps the panel's document
    table = cli("geoblock", "metrics", "--by-country")
    assert table.stdout.splitlines()[0].split("\t")[3] == "5"
    assert cli("geoblock", "metrics", key="plain").exit_code == 5


# -- settings as code ---------------------------------------------------------------------------
def test_export_apply_is_idempotent(cli_clock: Any, sandbox: Any, tmp_path: Any) -> None:
    path = tmp_path / "settings.toml"
    assert cli_clock("settings", "export", "-f", str(path)).exit_code == 0
    assert cli_clock("settings", "diff", "-f", str(path)).exit_code == 0
    r = cli_clock("settings", "apply", "-f", str(path), "--yes")
    assert r.exit_code == 0 and "no changes" in r.stderr and puts(sandbox) == []
    text = path.read_text().replace('billingCurrency = "USD"', 'billingCurrency = "gbp"')
    text = text.replace("blog = true", "blog = false").replace("chat = true", "chat = false")
    path.write_text(text.replace('registrationNotice = ""', 'registrationNotice = "Invite only"'))
    d = cli_clock("settings", "diff", "-f", str(path), "-o", "json")
    assert d.exit_code == 1
    assert {c["key"] for c in d.json()} == {"billingCurrency", "registrationNotice", "featureToggles.blog",
                                            "featureToggles.chat"}
    assert cli_clock("settings", "apply", "-f", str(path)).exit_code == 2  # no --yes, no terminal
    assert cli_clock("settings", "apply", "-f", str(path), "--dry-run").exit_code == 0
    assert puts(sandbox) == []
    r = cli_clock("settings", "apply", "-f", str(path), "--yes")
    assert r.exit_code == 0, r
    assert len(puts(sandbox)) == 1
    assert sandbox.state.settings["billingCurrency"] == "GBP"
    assert sandbox.state.settings["registrationNotice"] == "Invite only"
    assert (stored_flags(sandbox)["blog"], stored_flags(sandbox)["chat"]) == (False, False)
    assert cli_clock("settings", "diff", "-f", str(path)).exit_code == 0


def test_export_to_stdout_is_toml(cli: Any) -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    r = cli("settings", "export", "-f", "-")
    assert r.exit_code == 0, r
    doc = tomllib.loads(r.stdout)
    assert doc["billingCurrency"] == "USD" and doc["featureToggles"]["ai"] is True
    assert "portalDescriptions" not in doc and "null" in r.stderr


@pytest.mark.parametrize("content, message", [
    ('registrationEnabled = "yes"\n', "boolean"),
    ("colour = 1\n", "unknown setting"),
    ('geoBlockCountries = "ru:9"\n', "0-5"),
    ("[featureToggles]\nai = 1\n", "boolean"),
    ("billingCurrency = \n", "invalid TOML"),
])
def test_apply_rejects_a_bad_file_before_any_request(cli: Any, sandbox: Any, tmp_path: Any, content: str,
                                                     message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    r = cli("settings", "apply", "-f", str(path), "--yes")
    assert r.exit_code == 2, r
    assert message in r.stderr
    assert sandbox.requests == []


@pytest.mark.parametrize("pair, warning", [
    ("geoBlockCountries=zz:3", "not an ISO 3166 code"),      # the panel applies any key
    ("geoBlockCountries=uk:5", "ukraine"),
    ("geoBlockCountries=ru:2.5", "fractional"),              # Number("2.5") is kept by the panel
    ("geoBlockCountries=ru:", "reads it as 0"),              # Number("") === 0
    ("billingTaxRules=DE:150", "clamps"),
    ("kycRequiredCountries=de,xk", "not an ISO 3166 code"),
])
def test_values_the_panel_applies_are_never_refused(cli: Any, sandbox: Any, pair: str, warning: str) -> None:
    r = cli("settings", "set", pair)
    assert r.exit_code == 0, r
    assert warning in r.stderr
    key, value = pair.split("=", 1)
    assert sandbox.state.settings[key] == value


def test_rule_parsers_follow_the_panel() -> None:
    from eclictl.settings_schema import parse_geo, parse_tax

    geo = {e.raw: e for e in parse_geo("ru=5\r\nby;4, de : 0x2 ,cn:1e0,x:6, ,:3,germany:3, fr:")}
    assert (geo["ru=5"].key, geo["ru=5"].value) == ("ru", 5)
    assert (geo["de : 0x2"].key, geo["de : 0x2"].value) == ("de", 2)
    assert geo["cn:1e0"].value == 1 and geo["germany:3"].key == "germany" and geo["fr:"].value == 0
    assert geo["x:6"].key is None and geo[":3"].key is None
    tax = {e.raw: e for e in parse_tax("DE:19:x; EU=20\n*:0, GERMANY:7, AT:")}
    assert tax["DE:19:x"].value == 19 and tax["EU=20"].value == 20 and tax["AT:"].value == 0
    assert tax["GERMANY:7"].key == "GERMANY" and tax["GERMANY:7"].problem is None


def test_flags_of_an_older_panel_are_listed_and_writable(cli: Any, sandbox: Any, tmp_path: Any) -> None:
    # e.g. a panel one release older has hackclubStudentAuth (default false) in DEFAULT_FEATURE_TOGGLES
    sandbox.state.settings["panelFeatureToggles"] = {"hackclubStudentAuth": False, "code-instances:v2": True}
    rows = {r["flag"]: r for r in cli("flags", "list", "-o", "json").json()}
    assert rows["hackclubStudentAuth"]["enabled"] is False and rows["hackclubStudentAuth"]["default"] is None
    path = tmp_path / "s.toml"
    assert cli("settings", "export", "-f", str(path)).exit_code == 0
    r = cli("settings", "diff", "-f", str(path))
    assert r.exit_code == 0, r
    assert cli("flags", "enable", "hackclubStudentAuth", "--no-verify").exit_code == 0


def test_geoblock_metrics_tolerates_odd_values(cli: Any, sandbox: Any) -> None:
    from eclictl.sections.geoblock import _num

    assert [_num(v) for v in (2.5, "3", None, "x", True, {})] == [2.5, 3.0, 0.0, 0.0, 0.0, 0.0]
    user = next(iter(sandbox.state.users.values()))
    user["billingCountry"] = "Russia"
    sandbox.state.settings["geoBlockCountries"] = "ru:2.5, by:4:1"  # fractional: applied; 3 parts: skipped
    body = cli("geoblock", "metrics", "-o", "json").json()
    assert body["rules"] == {"ru": 2.5}
    r = cli("geoblock", "metrics", "--by-country")
    assert r.exit_code == 0, r
    assert r.stdout.splitlines()[0].split("\t")[0] == "russia"
    rows = {row["entry"]: row for row in cli("geoblock", "list", "-o", "json").json()}
    assert rows["ru:2.5"]["level"] == 2.5 and "applied by the panel" in rows["ru:2.5"]["note"]
    assert rows["by:4:1"]["country"] is None and "ignored by the panel" in rows["by:4:1"]["note"]
