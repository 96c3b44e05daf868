"""Calls the alerts tests make through the API, as a user would."""

from __future__ import annotations

import json
from typing import Any

from tests.factories import Person

P = "/api/v1/projects/acme/secret"


def channel(person: Person, org: str = "acme", **body: Any) -> dict[str, Any]:
    r = person.client().post(f"/api/v1/orgs/{org}/alert-channels", {"name": "hook", "kind": "webhook", **body}, format="json")
    assert r.status_code == 201, r.json()
    return dict(r.json())


def rule(person: Person, project: str = P, **body: Any) -> dict[str, Any]:
    r = person.client().post(f"{project}/alert-rules", body, format="json")
    assert r.status_code == 201, r.json()
    return dict(r.json())


def log(person: Person, run_id: str, rows: list[dict[str, Any]], offset: int = 0, project: str = P) -> None:
    """History rows (their `data`), at steps from `offset`, into the run (created if new)."""
    c = person.client()
    c.put(f"{project}/runs/{run_id}", {"name": run_id}, format="json")
    records = [{"step": offset + i, "time": 1000.0 + offset + i, "data": d} for i, d in enumerate(rows)]
    body = json.dumps({"offset": offset, "records": records})  # NaN as the protocol writes it
    r = c.post(f"{project}/runs/{run_id}/streams/history", body, content_type="application/json")
    assert r.status_code == 200, r.json()


def deliveries(person: Person, project: str = P) -> list[dict[str, Any]]:
    r = person.client().get(f"{project}/alert-deliveries")
    assert r.status_code == 200, r.json()
    return list(r.json()["results"])
