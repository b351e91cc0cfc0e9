"""Privacy mode: deterministic masks, and no PII survives in any output format (property test)."""

from __future__ import annotations

import io
import json
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from eclictl.output.redact import Redactor, mask_email, mask_ip, mask_name, scrub
from eclictl.output.render import RenderOptions, Renderer, View


def test_masks_are_deterministic_and_keep_rows_apart() -> None:
    assert mask_email("jane.doe@example.com") == "j***@e***.com"
    assert mask_email("jane.doe@example.com") == mask_email("jane.doe@example.com")
    assert mask_ip("203.0.113.42") == "203.0.113.x"
    assert mask_ip("2001:db8:85a3::8a2e:370:7334") == "2001:db8:85a3::x"
    assert mask_name("Jane Mary") == "J. M."


def test_scrub_finds_addresses_inside_free_text() -> None:
    text = "login from 198.51.100.7 and 2001:db8::1 by bob@mail.test at 2026-11-24T06:15:11.000Z"
    out = scrub(text)
    assert "198.51.100.7" not in out and "bob@mail.test" not in out and "2001:db8::1" not in out
    assert "2026-11-24T06:15:11.000Z" in out  # timestamps are not IPs


def test_key_rules_apply_at_any_depth() -> None:
    r = Redactor({"pii"})
    rec = {"id": 7, "email": "a.b@x.org", "firstName": "Alice", "address": "1 Main St",
           "user": {"name": "Bob Stone", "email": "bob@y.net"}, "metrics": {"ip": "10.1.2.3", "hits": 4},
           "fraudReason": "same IP as carol@z.io", "settings": {"documents": {"admin": [{"url": "/d/1.pdf"}]}}}
    out = r.record(rec)
    assert out["id"] == 7
    assert out["email"] == "a***@x***.org" and out["firstName"] == "A." and out["address"] == "•••"
    assert out["user"] == {"name": "B. S.", "email": "b***@y***.net"}
    assert out["metrics"]["hits"] == 4 and out["metrics"]["ip"] == "•••"
    assert "carol" not in out["fraudReason"]
    assert out["settings"]["documents"]["admin"][0]["url"] == "•••"


def test_categories_switch_independently() -> None:
    rec = {"name": "mc-survival", "owner": {"email": "o@p.de"}}
    assert Redactor({"servers"}, {"name": "servers"}).record(rec)["name"] == "M."
    assert Redactor({"pii"}, {"name": "servers"}).record(rec)["name"] == "mc-survival"
    assert Redactor(()).record(rec) == rec


local = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=2, max_size=10)
domain = st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=10)
emails = st.builds(lambda a, b, t: f"{a}@{b}.{t}", local, domain, st.sampled_from(["com", "org", "net", "io"]))
ipv4 = st.tuples(*[st.integers(1, 254)] * 4).map(lambda t: ".".join(map(str, t)))
ipv6 = st.tuples(*[st.integers(0x1000, 0xFFFF)] * 8).map(lambda t: ":".join(f"{x:x}" for x in t))
names = st.text(alphabet=string.ascii_letters, min_size=3, max_size=12)


@settings(max_examples=60, deadline=None)
@given(email=emails, ip4=ipv4, ip6=ipv6, first=names, last=names, fmt=st.sampled_from(
    ["table", "tsv", "json", "jsonl", "csv"]))
def test_no_pii_survives_in_any_format(email: str, ip4: str, ip6: str, first: str, last: str, fmt: str) -> None:
    rows = [{"id": 1, "email": email, "firstName": first, "lastName": last, "ipAddress": ip4,
             "note": f"seen at {ip6} as {email}", "user": {"name": f"{first} {last}", "email": email},
             "phone": "+49 30 1234567", "billingCity": "Berlin"}]
    out = io.StringIO()
    opts = RenderOptions(fmt=fmt, columns=["id", "email", "firstName", "lastName", "ipAddress", "note", "user",
                                           "phone", "billingCity"], redactor=Redactor({"pii"}), width=400)
    Renderer(out, io.StringIO(), opts, tty=False).emit(View(rows))
    text = out.getvalue()
    for secret in (email, ip4, ip6, "1234567", "Berlin"):
        assert secret not in text, (fmt, secret, text)
    for name in (first, last):
        assert f'"{name}"' not in text and f"\t{name}\t" not in text and f",{name}," not in text
    if fmt == "json":
        assert json.loads(text)[0]["id"] == 1
