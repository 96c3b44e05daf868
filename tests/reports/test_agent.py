"""The agent's read API lists reports: agent.Api().reports("org/project"), against a real server."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server


def test_the_agent_lists_and_reads_reports(cairn_server: ServerProcess) -> None:
    import agent

    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {cairn_server.api_key}"
    slug = f"rep-{uuid.uuid4().hex[:8]}"
    base = f"{cairn_server.url}/api/v1"
    assert s.put(f"{base}/projects/local/{slug}/runs/r1", json={"name": "one", "summary": {"best": 0.9}}).status_code == 201
    blocks = [{"id": "t", "type": "text", "text": "Hello"},
              {"id": "b", "type": "panel", "panel": {"kind": "bar", "title": "best", "field": "summary.best", "runset": {}}}]
    made = s.post(f"{base}/projects/local/{slug}/reports", json={"title": "Study", "blocks": blocks}).json()
    assert s.post(f"{base}/reports/{made['id']}/publish", json={"visibility": "public", "frozen": True}).status_code == 201
    s.post(f"{base}/projects/local/{slug}/reports", json={"title": "Still a draft"})

    api = agent.Api(base_url=cairn_server.url, api_key=cairn_server.api_key)
    reports = api.reports(f"local/{slug}")
    assert sorted(r.title for r in reports) == ["Still a draft", "Study"]
    study = next(r for r in reports if r.title == "Study")
    assert study.visibility == "public" and study.frozen and study.url == f"/r/{made['id']}/"
    content = study.content()
    assert content is not None and content["blocks"][0]["html"] == "<p>Hello</p>\n"
    assert study.panels()["b"]["runs"] == [{"id": "r1", "name": "one", "value": 0.9}]
    # Signed out, only the published public report is listed.
    anonymous = agent.Api(base_url=cairn_server.url, api_key="")
    with pytest.raises(agent.NotFound):
        anonymous.reports(f"local/{slug}")  # a private project
