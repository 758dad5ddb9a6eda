"""A short tour of basecrm_like: contacts, a deal with an exact value, notes,
tasks, filtered lists, pagination and typed errors.

Runs against whatever the environment points to::

    BASECRM_BASE_URL=http://127.0.0.1:8765 \\
    BASECRM_ACCESS_TOKEN=<token> python examples/tour.py

Against a real account it creates a few records and deletes them at the end.
``make demo`` runs it against the bundled mock server (see examples/demo.py).
"""
from __future__ import annotations

from decimal import Decimal

import basecrm_like


def say(text: str) -> None:
    print(f"  {text}")


def run(client: basecrm_like.Client) -> None:
    me = client.users.self()
    say(f"signed in as {me.name} ({me.email}), role {me.role}")

    org = client.contacts.create(name="Tour Coffee Roasters", is_organization=True,
                                 address={"city": "Lisbon", "country": "PT"})
    ada = client.contacts.create(first_name="Ada", last_name="Lovelace", contact_id=org.id,
                                 email="ada@tour.example", tags=["tour"])
    say(f"created organization #{org.id} {org.name!r} and contact #{ada.id} {ada.name!r}")

    deal = client.deals.create(name="Espresso bar fit-out", contact_id=org.id,
                               value=Decimal("12500.50"), currency="EUR")
    say(f"created deal #{deal.id} worth {deal.value} {deal.currency} "
        f"(a {type(deal.value).__name__}, exact) in stage {deal.stage_id}")
    deal = client.deals.update(deal.id, value=deal.value + Decimal("0.49"), hot=True)
    say(f"raised it to {deal.value} and marked it hot")

    note = client.notes.create(content="Wants a two-group machine", resource_type="deal",
                               resource_id=deal.id)
    task = client.tasks.create(content="Send the quote", resource_type="deal",
                               resource_id=deal.id, due_date="2030-01-15T09:00:00Z")
    client.tasks.update(task.id, completed=True)
    say(f"added note #{note.id} and task #{task.id} (now completed) to the deal")

    hot = client.deals.list(hot=True, contact_id=org.id)
    people = client.contacts.list(contact_id=org.id)
    say(f"filters: {len(hot)} hot deal(s) for the organization, "
        f"{len(people)} person(s) working there")

    total = sum(1 for _ in client.contacts.iterate(per_page=50))
    say(f"paginated through {total} contacts, 50 per request, one page in memory at a time")

    try:
        client.deals.create(name="A deal without a contact")
    except basecrm_like.ResourceError as exc:
        problem = exc.errors[0]
        say(f"ResourceError {exc.http_status}: {problem.field} {problem.code} "
            f"({problem.message})")
    try:
        client.contacts.retrieve(987654321)
    except basecrm_like.RequestError as exc:
        say(f"RequestError {exc.http_status}: {exc.errors[0].code}, logref {exc.logref}")

    for service, record in ((client.tasks, task), (client.notes, note), (client.deals, deal),
                            (client.contacts, ada), (client.contacts, org)):
        service.destroy(record.id)
    say("cleaned up the records the tour created")


def main() -> None:
    client = basecrm_like.Client()  # BASECRM_BASE_URL and BASECRM_ACCESS_TOKEN
    print(f"Tour of basecrm_like against {client.config.base_url}")
    run(client)


if __name__ == "__main__":
    main()
