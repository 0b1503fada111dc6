"""access.audit: logins, table reads, tokens and grants, with the security incidents.

Routine: people sign in on workdays from the office range, a few mistype a password,
tokens are made now and then, and every table a statement reads leaves a Unity Catalog
``getTable`` event. The plan adds a burst of failed logins from one address, a first read
of a sensitive table at 03:00, a broad grant to an outside group, and a token made on
behalf of a service principal.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from lakechat.lakehouse.system.plan import IncidentPlan
from lakechat.lakehouse.system.population import Person, Population, rng_for, stable_uuid
from lakechat.lakehouse.system.queries import Statement

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"


class AuditTrail:
    """Collects audit rows with the fields every event shares filled in one place."""

    def __init__(self, population: Population, rng: random.Random) -> None:
        self.population = population
        self.rng = rng
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        *,
        workspace_id: str,
        at: dt.datetime,
        person: Person | None,
        service: str,
        action: str,
        params: dict[str, str],
        status: int = 200,
        error: str | None = None,
        ip: str | None = None,
        email: str | None = None,
    ) -> None:
        identity = email or (person.identity if person else None)
        self.rows.append(
            {
                "account_id": self.population.account_id,
                "workspace_id": workspace_id,
                "version": "2.0",
                "event_time": at,
                "event_date": at.date(),
                "source_ip_address": ip
                or f"10.20.{self.rng.randrange(1, 9)}.{self.rng.randrange(2, 250)}",
                "user_agent": BROWSER,
                "session_id": stable_uuid(self.rng),
                "user_identity": {"email": identity, "subject_name": None},
                "service_name": service,
                "action_name": action,
                "request_id": stable_uuid(self.rng),
                "request_params": params,
                "response": {"status_code": status, "error_message": error, "result": None},
                "audit_level": "WORKSPACE_LEVEL",
                "event_id": stable_uuid(self.rng),
                "identity_metadata": {"run_by": identity, "run_as": identity},
            }
        )


def audit_rows(
    population: Population, plan: IncidentPlan, statements: list[Statement]
) -> list[dict[str, Any]]:
    rng = rng_for(population.seed, "audit")
    trail = AuditTrail(population, rng)
    clock = plan.clock
    home = population.workspaces[0].workspace_id
    for day in clock.days():
        for person in population.users:
            if day.weekday() >= 5 and rng.random() > 0.1:
                continue
            at = clock.at(day, 7 + rng.random() * 3)
            if at >= clock.snapshot:
                continue
            if rng.random() < 0.03:  # a mistyped password, then the real sign-in
                trail.add(
                    workspace_id=home,
                    at=at,
                    person=person,
                    service="accounts",
                    action="login",
                    params={"user": person.name},
                    status=401,
                    error="Invalid username or password",
                )
                at += dt.timedelta(seconds=20)
            trail.add(
                workspace_id=home,
                at=at,
                person=person,
                service="accounts",
                action="login",
                params={"user": person.name},
            )
            if rng.random() < 0.004:
                trail.add(
                    workspace_id=home,
                    at=at + dt.timedelta(minutes=5),
                    person=person,
                    service="accounts",
                    action="generateDbToken",
                    params={"tokenExpirationTime": "7776000", "comment": "notebook"},
                )
    for s in statements:
        for table in s.tables:
            trail.add(
                workspace_id=s.warehouse.workspace_id,
                at=s.start,
                person=s.person,
                service="unityCatalog",
                action="getTable",
                params={"full_name_arg": table, "workspace_id": s.warehouse.workspace_id},
            )
    _incidents(trail, plan, rng, home)
    return sorted(trail.rows, key=lambda row: row["event_time"])


def _incidents(trail: AuditTrail, plan: IncidentPlan, rng: random.Random, home: str) -> None:
    clock = plan.clock
    targets = [u for u in trail.population.users if u.team != "contractors"]
    start = clock.snapshot - dt.timedelta(hours=9)
    for i in range(37):
        victim = targets[i % len(targets)]
        trail.add(
            workspace_id=home,
            at=start + dt.timedelta(seconds=47 * i + rng.randrange(30)),
            person=None,
            email=victim.name,
            service="accounts",
            action="login",
            params={"user": victim.name},
            status=401,
            error="Invalid username or password",
            ip=plan.login_attacker_ip,
        )
    schema = plan.grant_schema
    trail.add(
        workspace_id=home,
        at=clock.at(clock.as_of, 9) + dt.timedelta(minutes=12, seconds=6),
        person=plan.grantor,
        service="unityCatalog",
        action="updatePermissions",
        params={
            "securable_type": "SCHEMA",
            "securable_full_name": schema,
            "changes": f'[{{"principal":"{plan.grantee}","add":["ALL_PRIVILEGES"]}}]',
        },
    )
    principal = plan.token_principal
    trail.add(
        workspace_id=home,
        at=clock.at(clock.yesterday, 22) + dt.timedelta(minutes=41),
        person=plan.token_creator,
        service="tokenManagement",
        action="createOboToken",
        params={
            "application_id": principal.application_id or "",
            "principal_name": principal.name,
            "lifetime_seconds": "0",
            "comment": "ci deploys",
        },
    )
