"""`graphsvc demo`: a small, realistic sample so a newcomer sees something in the Browser at once.

John Doe referred Jane Doe (the README's example) and the referrals go on four levels deep; the
contacts work for three accounts (one employment has ended: an inactive connection), and a few
are friends. Everything is written through the repository, exactly as the API writes it. Loading
again changes nothing: every role, record and connection has a fixed id, and one that exists is
left alone.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from functools import partial

from graphsvc.errors import ConflictError
from graphsvc.graph.repository import Repository
from graphsvc.models import ConnectionCreate, RecordCreate, RoleCreate

ROLES = [
    RoleCreate(id="referred-by", name="Referred by", category="sales", acyclic=True),
    RoleCreate(
        id="referral",
        name="Referral",
        category="sales",
        reciprocal_role_id="referred-by",
        acyclic=True,
        description="someone this record referred",
    ),
    RoleCreate(id="employee", name="Employee", category="business", record_types=["contact"]),
    RoleCreate(
        id="employer",
        name="Employer",
        category="business",
        record_types=["account"],
        reciprocal_role_id="employee",
    ),
    RoleCreate(
        id="friend",
        name="Friend",
        category="social",
        record_types=["contact"],
        reciprocal_role_id="friend",
    ),
]

CONTACTS = {
    "john-doe": "John Doe",
    "jane-doe": "Jane Doe",
    "mark-lee": "Mark Lee",
    "alice-smith": "Alice Smith",
    "bob-brown": "Bob Brown",
    "carol-white": "Carol White",
    "dave-green": "Dave Green",
    "eve-black": "Eve Black",
    "frank-moore": "Frank Moore",
}
ACCOUNTS = {"acme": "Acme Corp", "globex": "Globex", "initech": "Initech"}
INDUSTRY = {"acme": "manufacturing", "globex": "energy", "initech": "software"}

RECORDS = [
    RecordCreate(
        id=id_,
        type="contact",
        name=name,
        attributes={"email": f"{id_.replace('-', '.')}@example.com"},
    )
    for id_, name in CONTACTS.items()
] + [
    RecordCreate(id=id_, type="account", name=name, attributes={"industry": INDUSTRY[id_]})
    for id_, name in ACCOUNTS.items()
]

# referrer -> referred: four levels below John (John > Jane > Alice > Carol > Dave).
REFERRALS = [
    ("john-doe", "jane-doe"),
    ("john-doe", "mark-lee"),
    ("jane-doe", "alice-smith"),
    ("jane-doe", "bob-brown"),
    ("alice-smith", "carol-white"),
    ("carol-white", "dave-green"),
    ("bob-brown", "eve-black"),
    ("mark-lee", "frank-moore"),
]
EMPLOYMENTS = [
    ("john-doe", "acme"),
    ("jane-doe", "acme"),
    ("eve-black", "acme"),
    ("alice-smith", "globex"),
    ("bob-brown", "globex"),
    ("carol-white", "initech"),
    ("dave-green", "initech"),
    ("frank-moore", "initech"),
]
FRIENDS = [("mark-lee", "alice-smith"), ("dave-green", "eve-black"), ("jane-doe", "frank-moore")]


def _referral(n: int, referrer: str, referred: str) -> ConnectionCreate:
    return ConnectionCreate(
        id=f"demo-referral-{n}",
        record1_id=referrer,
        record2_id=referred,
        record1_role_id="referred-by",
        record2_role_id="referral",
    )


def _employment(n: int, contact: str, account: str) -> ConnectionCreate:
    return ConnectionCreate(
        id=f"demo-employment-{n}",
        record1_id=contact,
        record2_id=account,
        record1_role_id="employee",
        record2_role_id="employer",
    )


def _friends(n: int, one: str, other: str) -> ConnectionCreate:
    return ConnectionCreate(
        id=f"demo-friend-{n}",
        record1_id=one,
        record2_id=other,
        record1_role_id="friend",
        record2_role_id="friend",
    )


CONNECTIONS = (
    [_referral(n, *pair) for n, pair in enumerate(REFERRALS, 1)]
    + [_employment(n, *pair) for n, pair in enumerate(EMPLOYMENTS, 1)]
    + [_friends(n, *pair) for n, pair in enumerate(FRIENDS, 1)]
    + [
        ConnectionCreate(
            id="demo-employment-former",
            record1_id="bob-brown",
            record2_id="initech",
            record1_role_id="employee",
            record2_role_id="employer",
            state="inactive",
            effective_start=date(2019, 3, 1),
            effective_end=date(2023, 12, 31),
            description="Bob's former job",
        )
    ]
)


@dataclass
class DemoReport:
    created: int = 0
    existing: int = 0


async def load_demo(repo: Repository) -> DemoReport:
    """Write the demo roles, records and connections that are not there yet."""
    report = DemoReport()
    writes: list[Callable[[], Awaitable[object]]] = (
        [partial(repo.create_role, role) for role in ROLES]
        + [partial(repo.create_record, record) for record in RECORDS]
        + [partial(repo.create_connection, connection) for connection in CONNECTIONS]
    )
    for write in writes:
        try:
            await write()
            report.created += 1
        except ConflictError:
            report.existing += 1
    return report
