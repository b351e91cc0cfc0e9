"""Deterministic core demo data: users, RBAC roles, API keys and passkeys.

Everything comes from one `random.Random(seed)` and the fixed SEED_EPOCH, so the same seed
always yields the same ids, names and keys. Route modules seed their own tables afterwards.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from eclictl.sandbox.state import SEED_EPOCH, SANDBOX_PASSWORD, State, new_user, password_hash

DAY = 86400.0

FIRST = ("Anna", "Ben", "Chiara", "Dmitri", "Emeka", "Fatima", "Giulia", "Hiroshi", "Ines", "Jamal", "Katarzyna",
         "Liam", "Mei", "Nikolai", "Olga", "Pedro", "Quentin", "Rania", "Sven", "Tariq", "Ursula", "Valentina",
         "Wei", "Ximena", "Yusuf", "Zoe", "Aarav", "Björn", "Camille", "Diego", "Elif", "Farid", "Greta", "Hana",
         "Ivan", "Jana", "Kofi", "Lucía", "Mateo", "Noor", "Oskar", "Priya", "Rafael", "Sofia", "Thabo", "Yuki",
         "Amara", "Léa", "Jonas", "Ayşe", "Chen", "Siobhan", "Mohammed", "Ingrid", "Kenji", "Marta", "Ravi")
LAST = ("Müller", "Schmidt", "Rossi", "García", "Nowak", "Ivanova", "Kowalski", "Nguyen", "Okafor", "Haddad",
        "Johansson", "Tanaka", "Dubois", "Silva", "Papadopoulos", "O'Brien", "van der Berg", "Kim", "Singh",
        "Yilmaz", "Novák", "Costa", "Larsen", "Mensah", "Fischer", "Moreau", "Hernández", "Petrov", "Sato",
        "Ahmed", "Andersson", "Bianchi", "Wójcik", "Lefebvre", "Khan", "Zhang", "Weber", "Murphy", "Horvath")
DOMAINS = ("example.com", "example.org", "mail.test", "example.net", "post.test", "inbox.example")
STREETS = ("Hauptstraße", "Main Street", "Rue de la Paix", "Via Roma", "Calle Mayor", "Kingsway", "Ulica Długa",
           "Elm Avenue", "Sakura-dori", "Baker Street", "Nørregade", "Rua Augusta")
#: (city, zip pattern, ISO code, full country name, phone prefix)
PLACES = (("Berlin", "1####", "DE", "Germany", "+49 30"), ("Munich", "80###", "DE", "Germany", "+49 89"),
          ("Paris", "750##", "FR", "France", "+33 1"), ("Milan", "201##", "IT", "Italy", "+39 02"),
          ("Madrid", "280##", "ES", "Spain", "+34 91"), ("London", "SW1A #AA", "GB", "United Kingdom", "+44 20"),
          ("Warsaw", "00-###", "PL", "Poland", "+48 22"), ("New York", "100##", "US", "United States", "+1 212"),
          ("Austin", "787##", "US", "United States", "+1 512"), ("Tokyo", "100-####", "JP", "Japan", "+81 3"),
          ("Lagos", "1000##", "NG", "Nigeria", "+234 1"), ("São Paulo", "01###-###", "BR", "Brazil", "+55 11"),
          ("Copenhagen", "1###", "DK", "Denmark", "+45"), ("Amsterdam", "10## AB", "NL", "Netherlands", "+31 20"),
          ("Toronto", "M5V #A#", "CA", "Canada", "+1 416"), ("Istanbul", "34###", "TR", "Türkiye", "+90 212"))
ROLES = (("default", "Fallback for users without roles", None, ("servers:create",)),
         ("support", "Read-only support staff", None, ("admin:access", "users:read", "admin:kyc:view", "admin:fraud")),
         ("moderator", "Support plus anti-abuse", "support", ("admin:antiabuse", "users:suspend")),
         ("billing", "Billing desk", None, ("admin:access", "orders:view", "admin:plans:view")))


def key_for(seed: int, name: str) -> str:
    """64 lowercase hex, stable for a seed, like the panel's 32 random bytes."""
    return hashlib.sha256(f"eclictl-sandbox-{seed}-{name}".encode()).hexdigest()


def _ascii(text: str) -> str:
    table = str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss", "é": "e", "è": "e", "í": "i", "á": "a",
                           "ã": "a", "ç": "c", "ø": "o", "å": "a", "ł": "l", "ó": "o", "ś": "s", "ş": "s",
                           "ğ": "g", "ı": "i", "ž": "z", "č": "c", "ř": "r", "ñ": "n", "ę": "e", "ą": "a"})
    return "".join(c for c in text.lower().translate(table) if c.isalnum())


def _digits(rng: random.Random, pattern: str) -> str:
    return "".join(str(rng.randint(0, 9)) if c == "#" else c for c in pattern)


def _iso(state: State, ts: float) -> str:
    return state.iso(ts)


def seed_core(state: State, rng: random.Random, count: int = 300) -> dict[str, str]:
    """Fill users, roles, user_roles, API keys and passkeys; returns the named API keys."""
    _seed_users(state, rng, max(count, 8))
    _seed_roles(state, rng)
    keys = _seed_keys(state, rng)
    for uid in sorted(state.users):
        if rng.random() < 0.12:
            for _ in range(rng.randint(1, 3)):
                pid = state.next_id("passkeys")
                state.passkeys[pid] = {"id": pid, "userId": uid, "name": rng.choice(("YubiKey", "iPhone", "Laptop"))}
    return keys


def _base_user(state: State, rng: random.Random, uid: int, first: str, last: str, email: str) -> dict[str, Any]:
    city, zip_pattern, iso2, country, phone_prefix = rng.choice(PLACES)
    created = SEED_EPOCH - rng.uniform(2, 900) * DAY
    logged_in = created + rng.uniform(0, SEED_EPOCH - created) if rng.random() < 0.8 else None
    year, month, day = rng.randint(1955, 2008), rng.randint(1, 12), rng.randint(1, 28)
    dob_kind = rng.random()
    dob = (f"{year:04d}-{month:02d}-{day:02d}" if dob_kind < 0.45 else
           f"{year:04d}-{month:02d}-{day:02d}T00:00:00.000Z" if dob_kind < 0.85 else None)
    salt = hashlib.sha256(f"salt-{state.seed}-{uid}".encode()).hexdigest()[:16]
    sessions = [hashlib.sha256(f"sess-{state.seed}-{uid}-{n}".encode()).hexdigest()[:32]
                for n in range(rng.randint(0, 2))] if logged_in else []
    portal = rng.choices(("free", "paid", "educational", "enterprise"), (6, 3, 1, 1))[0]
    return new_user(
        id=uid, createdAt=_iso(state, created),
        lastLoginAt=_iso(state, logged_in) if logged_in else None,
        lastPanelActivityAt=_iso(state, logged_in + rng.uniform(0, 3600)) if logged_in else None,
        firstName=first, middleName=rng.choice(FIRST) if rng.random() < 0.1 else None, lastName=last,
        displayName=f"{first} {last[0]}." if rng.random() < 0.2 else None,
        title=rng.choice(("Dr.", "Prof.", None, None, None, None)),
        gender=rng.choice(("female", "male", "diverse", None, None)),
        address=f"{rng.randint(1, 240)} {rng.choice(STREETS)}",
        address2=f"Apt {rng.randint(1, 90)}" if rng.random() < 0.2 else None,
        phone=f"{phone_prefix} {rng.randint(1000000, 9999999)}" if rng.random() < 0.7 else None,
        dateOfBirth=dob,
        billingCompany=f"{last} {rng.choice(('GmbH', 'Ltd', 'LLC', 'SAS', 'S.r.l.'))}" if rng.random() < 0.15 else None,
        billingCity=city, billingState=rng.choice(("TX", "NY", "ON")) if iso2 in ("US", "CA") else None,
        billingZip=_digits(rng, zip_pattern), billingCountry=country if rng.random() < 0.25 else iso2,
        email=email, passwordHash=password_hash(SANDBOX_PASSWORD, salt),
        portalType=portal, nodeId=rng.randint(1, 4) if portal == "enterprise" else None,
        limits=({"memory": rng.choice((1024, 2048, 4096)), "disk": rng.choice((10240, 20480)), "cpu": 100,
                 "serverLimit": rng.randint(1, 4)} if portal != "free" else None),
        settings=_settings(rng),
        sessions=sessions, emailVerified=rng.random() < 0.9,
        studentVerified=portal == "educational",
        studentVerifiedAt=_iso(state, created + DAY) if portal == "educational" else None,
        studentVerifiedUntil=_iso(state, created + 366 * DAY) if portal == "educational" else None,
        idVerified=rng.random() < 0.3, guideShown=rng.random() < 0.7,
        countryOverride=rng.choice(("DE", "FR", "US")) if rng.random() < 0.03 else None,
        termsConsentVersion="2025-01" if rng.random() < 0.6 else None,
        consent=rng.choice(("essential", "all", None)), consentVersion="1" if rng.random() < 0.5 else None,
    )


#: What registration writes into `settings` (backend/src/handlers/userHandler.ts, register).
NOTIFICATIONS = {"serverAlerts": False, "serverLifecycle": False, "serverErrors": False, "serverActivity": False,
                 "billing": True, "security": True, "productUpdates": True, "tickets": True, "aiUsage": True}


def _settings(rng: random.Random) -> dict[str, Any]:
    """Every registered user has the notification preferences; about half changed two of them.

    (The same random draws this seed always made here, so every other seeded value stays the same.)
    """
    notes = dict(NOTIFICATIONS)
    if rng.random() < 0.5:
        notes["productUpdates"] = rng.choice((True, True, False, False, True, False))
        notes["serverAlerts"] = rng.choice((True, False))
    return {"notifications": notes}


def _enable_2fa(state: State, row: dict[str, Any]) -> None:
    digest = hashlib.sha256(f"totp-{state.seed}-{row['id']}".encode()).hexdigest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    row["twoFactorEnabled"] = True
    row["twoFactorSecret"] = "".join(alphabet[int(digest[i:i + 2], 16) % 32] for i in range(0, 64, 2))
    row["twoFactorRecoveryCodes"] = [f"{digest[i:i + 4]}-{digest[i + 4:i + 8]}" for i in range(0, 64, 8)]


SPECIAL = (  # id: (first, last, email, role)
    ("Root", "Admin", "root@example.com", "*"),
    ("Plain", "User", "user@example.com", None),
    ("Sam", "Support", "staff@example.com", None),
    ("Mona", "Moderator", "moderator@example.com", None),
    ("Bill", "Ledger", "billing@example.com", None),
    ("Ada", "Operator", "ops@example.com", "rootAdmin"),
    ("Tess", "Twofactor", "twofa@example.com", None),
)


def _seed_users(state: State, rng: random.Random, count: int) -> None:
    used: set[str] = set()
    for uid in range(1, count + 1):
        if uid <= len(SPECIAL):
            first, last, email, role = SPECIAL[uid - 1]
        else:
            first, last, role = rng.choice(FIRST), rng.choice(LAST), None
            domain = "spam.test" if rng.random() < 0.04 else rng.choice(DOMAINS)
            local = rng.choice((f"{_ascii(first)}.{_ascii(last)}", f"{_ascii(first)[0]}{_ascii(last)}",
                                f"{_ascii(first)}{rng.randint(1, 99)}"))
            email = f"{local}@{domain}"
            while email in used:
                email = f"{local}{rng.randint(100, 999)}@{domain}"
        used.add(email)
        row = _base_user(state, rng, uid, first, last, email)
        row["role"] = role
        state.users[uid] = row
        state._ids["users"] = uid
    root = state.users[1]
    root.update({k: None for k in ("middleName", "displayName", "title", "gender", "address2", "phone",
                                   "billingCompany", "billingState", "settings", "countryOverride", "consent",
                                   "consentVersion", "termsConsentVersion")})
    root.update(address="1 Test St", billingCity="Berlin", billingZip="10115", billingCountry="DE",
                dateOfBirth="1990-01-01T00:00:00.000Z", createdAt=_iso(state, SEED_EPOCH - 400 * DAY),
                emailVerified=True, portalType="free", limits=None, nodeId=None, studentVerified=False,
                studentVerifiedAt=None, studentVerifiedUntil=None)
    for uid in range(2, len(SPECIAL) + 1):
        state.users[uid].update(emailVerified=True, suspended=False, fraudFlag=False)
    _enable_2fa(state, state.users[len(SPECIAL)])
    _decorate(state, rng, count)


def _decorate(state: State, rng: random.Random, count: int) -> None:
    """Suspended, fraud-flagged, 2FA, support-banned and child accounts among the random users."""
    randoms = list(range(len(SPECIAL) + 1, count + 1))
    for uid in randoms:
        row = state.users[uid]
        roll = rng.random()
        if roll < 0.06:
            row["suspended"] = True
        if rng.random() < 0.06 or row["email"].endswith("@spam.test"):
            ip = f"203.0.113.{rng.randint(1, 254)}"
            detected = SEED_EPOCH - rng.uniform(0, 60) * DAY
            row.update(fraudFlag=True, fraudDetectedAt=_iso(state, detected), fraudReason=rng.choice((
                f"Disposable e-mail {row['email']} signed up from VPN exit {ip}",
                f"Multiple accounts from {ip}; e-mail {row['email']} matches a known pattern",
                f"Card testing suspected from {ip} ({row['email']})")))
        if rng.random() < 0.1:
            _enable_2fa(state, row)
        if rng.random() < 0.02:
            row.update(supportBanned=True, supportBanReason="Abusive ticket language")
        if rng.random() < 0.03:
            row["parentId"] = rng.choice(randoms[:20])
        if rng.random() < 0.02:
            row["inactive"] = True
    spam = [u for u in randoms if state.users[u]["email"].endswith("@spam.test")]
    for n, uid in enumerate(randoms[-3:]):  # a guaranteed spam cluster even for small --users
        if len(spam) >= 3:
            break
        row = state.users[uid]
        row["email"] = f"bot{n + 1}.{_ascii(row['firstName'])}@spam.test"
        row.update(fraudFlag=True, fraudDetectedAt=_iso(state, SEED_EPOCH - (n + 1) * DAY),
                   fraudReason=f"Disposable e-mail {row['email']} signed up from VPN exit 198.51.100.{n + 7}")
        spam.append(uid)


def _seed_roles(state: State, rng: random.Random) -> None:
    for name, description, parent, perms in ROLES:
        rid = state.next_id("roles")
        parent_row = state.role_by_name(parent) if parent else None
        state.roles[rid] = {"id": rid, "name": name, "description": description,
                            "parentRoleId": parent_row["id"] if parent_row else None}
        for value in perms:
            pid = state.next_id("permissions")
            state.permissions[pid] = {"id": pid, "value": value, "roleId": rid}
    assignments = [(3, "support"), (4, "moderator"), (5, "billing")]
    staff = [u for u in sorted(state.users) if u > len(SPECIAL)]
    for uid in rng.sample(staff[:60], min(4, len(staff))):
        assignments.append((uid, rng.choice(("support", "billing", "default"))))
    for uid, name in assignments:
        role = state.role_by_name(name)
        assert role is not None
        urid = state.next_id("user_roles")
        state.user_roles[urid] = {"id": urid, "userId": uid, "roleId": role["id"]}


def _seed_keys(state: State, rng: random.Random) -> dict[str, str]:
    plan = (("admin", "eclictl-admin", "admin", 1, []), ("root_client", "root-client", "client", 1, []),
            ("root_client_star", "root-client-star", "client", 1, ["*"]),
            ("staff_client", "staff-client", "client", 3, ["admin:access", "users:read"]),
            ("plain", "plain-client", "client", 2, []))
    keys: dict[str, str] = {}
    for label, name, kind, owner, perms in plan:
        keys[label] = _add_key(state, label, name, kind, owner, perms, SEED_EPOCH - 30 * DAY, None)
    others = sorted(state.users)[len(SPECIAL):]
    for uid in rng.sample(others, min(6, len(others))):
        _add_key(state, f"user-{uid}", f"{_ascii(state.users[uid]['firstName'])}-laptop", "client", uid,
                 rng.choice(([], ["servers:read"], ["servers:read", "servers:power"])),
                 SEED_EPOCH - rng.uniform(1, 200) * DAY, None)
    keys["expired"] = _add_key(state, "expired", "old-ci-key", "client", 1, ["*"], SEED_EPOCH - 400 * DAY,
                               SEED_EPOCH - 30 * DAY)
    return keys


def _add_key(state: State, label: str, name: str, kind: str, owner: int, perms: list[str], created: float,
             expires: float | None) -> str:
    kid = state.next_id("apikeys")
    key = key_for(state.seed, label)
    state.apikeys[kid] = {"id": kid, "key": key, "name": name, "type": kind, "permissions": list(perms),
                          "userId": owner, "createdAt": state.iso(created),
                          "expiresAt": state.iso(expires) if expires is not None else None}
    return key
