"""The data a fresh account has, plus optional realistic volume (``--seed N``).

Everything is deterministic (fixed timestamps, a seeded RNG), so two servers
started with the same options hold the same records with the same ids, and a
test can rely on "stage 1 is Incoming" or "user 1 is the token's admin".
Bulk records are built as plain dicts and inserted with ``executemany`` in the
caller's transaction: 20,000 of each kind take about a second.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ...catalog import CATALOG
from .records import as_given
from .rules import dropbox_email
from .store import Parent, Store

SEED_TIME = "2026-01-01T00:00:00Z"
ADMIN_USER_ID = 1

USERS = [
    {"name": "Alex Admin", "email": "admin@mock.example", "role": "admin"},
    {"name": "Sam Seller", "email": "sam@mock.example", "role": "user"},
    {"name": "Robin Rep", "email": "robin@mock.example", "role": "user"},
]
STAGES = [  # name, category, likelihood
    ("Incoming", "incoming", 10), ("Qualified", "in_progress", 25),
    ("Quote", "in_progress", 50), ("Closure", "in_progress", 75), ("Won", "won", 100),
    ("Lost", "lost", 0), ("Unqualified", "unqualified", 0),
]
NAMED: dict[str, list[dict[str, Any]]] = {
    "sources": [{"name": n, "resource_type": t} for n, t in
                (("Website", "deal"), ("Referral", "deal"), ("Web form", "lead"))],
    "deal_sources": [{"name": n} for n in ("Website", "Referral", "Cold call")],
    "lead_sources": [{"name": n} for n in ("Web form", "Trade show", "Partner")],
    "loss_reasons": [{"name": n} for n in ("Too expensive", "Went with a competitor",
                                           "No budget")],
    "deal_unqualified_reasons": [{"name": n} for n in ("Not a fit", "No decision maker",
                                                       "Duplicate")],
    "lead_unqualified_reasons": [{"name": n} for n in ("Invalid contact data",
                                                       "Not interested", "Spam")],
    "call_outcomes": [{"name": n} for n in ("Interested", "Left voicemail", "Not interested",
                                            "No answer")],
    "visit_outcomes": [{"name": n} for n in ("Meeting held", "Customer absent",
                                             "Follow-up needed")],
    "sequences": [{"name": "New customer onboarding"}],
    "products": [
        {"name": "Espresso machine", "sku": "ESP-100", "description": "Dual boiler, 2 groups",
         "active": True, "cost": "600.00", "cost_currency": "USD",
         "prices": [{"amount": "1000.00", "currency": "USD"},
                    {"amount": "920.00", "currency": "EUR"}]},
        {"name": "Coffee beans 1 kg", "sku": "BEAN-1KG", "description": "Single origin",
         "active": True, "cost": "9.00", "cost_currency": "USD",
         "prices": [{"amount": "25.50", "currency": "USD"}]},
    ],
}
CUSTOM_FIELDS: list[tuple[str, dict[str, Any]]] = [
    ("contact", {"name": "Segment", "type": "list", "for_company": True, "for_contact": True,
                 "choices": [{"id": 1, "name": "SMB"}, {"id": 2, "name": "Enterprise"}]}),
    ("contact", {"name": "Customer since", "type": "date", "for_company": True,
                 "for_contact": False}),
    ("contact", {"name": "external_id", "type": "string", "for_company": True,
                 "for_contact": True}),
    ("contact", {"name": "Newsletter", "type": "bool", "for_company": True,
                 "for_contact": True}),
    ("contact", {"name": "Last visit", "type": "datetime", "for_company": True,
                 "for_contact": True}),
    ("contact", {"name": "Interests", "type": "multi_select_list", "for_company": True,
                 "for_contact": True,
                 "choices": [{"id": 1, "name": "Espresso"}, {"id": 2, "name": "Filter"},
                             {"id": 3, "name": "Cold brew"}]}),
    ("contact", {"name": "Credit limit", "type": "number", "for_company": True,
                 "for_contact": True}),
    ("contact", {"name": "Notes", "type": "text", "for_company": True, "for_contact": True}),
    ("contact", {"name": "Billing email", "type": "email", "for_company": True,
                 "for_contact": True}),
    ("contact", {"name": "Office phone", "type": "phone", "for_company": True,
                 "for_contact": True}),
    ("contact", {"name": "Profile", "type": "url", "for_company": True, "for_contact": True}),
    ("lead", {"name": "Lead score", "type": "number"}),
    ("lead", {"name": "External ID", "type": "string"}),
    ("deal", {"name": "Lead ID", "type": "string"}),
    ("deal", {"name": "Contract type", "type": "list",
              "choices": [{"id": 1, "name": "Annual"}, {"id": 2, "name": "Monthly"}]}),
]

FIRST = ("Ada", "Grace", "Alan", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Radia",
         "Edsger", "Frances", "Donald", "Katherine", "Tim", "Hedy", "John", "Joan", "Guido",
         "Anita", "Bjarne", "Sophie", "Niklaus", "Lynn", "Vint")
LAST = ("Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Ritchie", "Liskov",
        "Thompson", "Perlman", "Dijkstra", "Allen", "Knuth", "Johnson", "Berners-Lee",
        "Lamarr", "McCarthy", "Clarke", "van Rossum", "Borg", "Stroustrup", "Wilson", "Wirth",
        "Conway", "Cerf")
COMPANY = ("Coffee", "Roastery", "Bakery", "Labs", "Logistics", "Foods", "Systems", "Studio",
           "Works", "Supply")
PLACES = (("Berlin", "10115", "DE"), ("Paris", "75001", "FR"), ("Austin", "73301", "US"),
          ("Lisbon", "1100-148", "PT"), ("Kraków", "30-001", "PL"), ("Toronto", "M5H", "CA"))
DEAL_WORDS = ("Espresso bar fit-out", "Bean subscription", "Office coffee", "Barista training",
              "Machine service plan", "Catering")


def _insert(store: Store, name: str, rows: Iterable[tuple[Parent, Mapping[str, Any]]],
            finish: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Build full records (defaults and stamps) and insert them with fresh ids."""
    res = CATALOG[name]
    pending = list(rows)
    first = store.next_id(res, len(pending)) if pending else 1
    built = []
    for offset, (parent, values) in enumerate(pending):
        record = as_given(res, values, id=first + offset, user_id=ADMIN_USER_ID, now=SEED_TIME)
        if finish is not None:
            finish(record)
        built.append((parent, record))
    store.bulk_insert(res, built)
    return [record for _, record in built]


def seed_base(store: Store) -> None:
    """Users, account, pipeline and stages, sources, reasons, outcomes, custom fields."""
    _insert(store, "users", [(0, {**u, "status": "active", "confirmed": True,
                                  "timezone": "UTC", "roles": [], "identity_type": "person"})
                             for u in USERS])
    _insert(store, "accounts", [(0, {"name": "Mock Coffee Co", "currency": "USD",
                                     "time_format": "24H", "timezone": "UTC+00:00",
                                     "phone": "+1 555 0100"})])
    _insert(store, "pipelines", [(0, {"name": "Sales pipeline", "disabled": False})])
    _insert(store, "stages", [
        (0, {"name": n, "category": c, "likelihood": lk, "position": i, "pipeline_id": 1,
             "active": c not in ("won", "lost", "unqualified")})
        for i, (n, c, lk) in enumerate(STAGES, start=1)])
    for name, rows in NAMED.items():
        _insert(store, name, [(0, dict(row)) for row in rows])
    _insert(store, "custom_fields", [(kind, dict(row)) for kind, row in CUSTOM_FIELDS])


def seed_bulk(store: Store, count: int, rng_seed: int | None = None) -> None:
    """``count`` contacts (a fifth of them organizations), leads and deals."""
    if count <= 0:
        return
    rng = random.Random(count if rng_seed is None else rng_seed)
    draw = rng.random

    def pick(options: Sequence[Any]) -> Any:
        return options[int(draw() * len(options))]

    def between(low: int, high: int) -> int:
        return low + int(draw() * (high - low + 1))

    orgs = max(1, count // 5)
    org_rows: list[tuple[Parent, dict[str, Any]]] = []
    for i in range(orgs):
        city, postal, country = pick(PLACES)
        word = pick(COMPANY)
        org_rows.append((0, {
            "is_organization": True, "name": f"{pick(LAST)} {word} {i + 1}",
            "industry": word, "email": f"hello{i + 1}@{word.lower()}{i + 1}.example",
            "phone": f"+1 555 {between(0, 9999):04d}", "owner_id": between(1, 3),
            "customer_status": pick(("none", "current", "past")),
            "prospect_status": pick(("none", "current", "lost")),
            "address": {"line1": f"{between(1, 200)} Main St", "city": city,
                        "postal_code": postal, "state": None, "country": country},
            "tags": rng.sample(["vip", "coffee", "wholesale", "retail"], k=between(0, 2)),
            "custom_fields": {"Segment": pick(("SMB", "Enterprise"))},
        }))
    org_records = _insert(store, "contacts", org_rows)
    people: list[tuple[Parent, dict[str, Any]]] = []
    for i in range(count - orgs):
        first, last = pick(FIRST), pick(LAST)
        org = pick(org_records)
        people.append((0, {
            "is_organization": False, "first_name": first, "last_name": last,
            "name": f"{first} {last}", "contact_id": org["id"],
            "parent_organization_id": org["id"], "title": pick(("CEO", "Buyer", "CTO")),
            "email": f"{first.lower()}.{last.lower().replace(' ', '')}{i}@mock.example",
            "mobile": f"+1 555 {between(0, 9999):04d}", "owner_id": between(1, 3),
            "address": org["address"], "tags": [], "custom_fields": {},
        }))
    person_records = _insert(store, "contacts", people)
    every_contact = org_records + person_records
    _insert(store, "leads", [(0, {
        "first_name": pick(FIRST), "last_name": pick(LAST),
        "organization_name": f"{pick(LAST)} {pick(COMPANY)}",
        "email": f"lead{i}@mock.example", "status": pick(("New", "Working", "Unqualified")),
        "source_id": between(1, 3), "owner_id": between(1, 3),
        "custom_fields": {"Lead score": between(1, 100)},
    }) for i in range(count)])
    stage_ids = list(range(1, len(STAGES) + 1))
    deal_rows: list[tuple[Parent, dict[str, Any]]] = []
    for _ in range(count):
        contact = pick(every_contact)
        org_id = contact["id"] if contact["is_organization"] else contact["contact_id"]
        deal_rows.append((0, {
            "name": pick(DEAL_WORDS), "contact_id": contact["id"],
            "organization_id": org_id, "stage_id": pick(stage_ids),
            "value": f"{between(100, 500000)}.{between(0, 99):02d}", "currency": "USD",
            "hot": rng.random() < 0.2, "source_id": between(1, 3),
            "owner_id": between(1, 3), "last_stage_change_at": SEED_TIME,
            "last_stage_change_by_id": ADMIN_USER_ID, "last_activity_at": SEED_TIME,
            "estimated_close_date": f"2026-{between(1, 12):02d}-{between(1, 28):02d}",
        }))
    _insert(store, "deals", deal_rows, finish=_dropbox)


def _dropbox(deal: dict[str, Any]) -> None:
    deal["dropbox_email"] = dropbox_email(deal["id"])


def seed(store: Store, count: int = 0) -> None:
    """Fill an empty store (call inside ``store.write()``)."""
    seed_base(store)
    seed_bulk(store, count)
    store.set_meta("seeded", str(count))
