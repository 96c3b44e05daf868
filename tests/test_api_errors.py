"""Every answer under /api/v1/ is JSON, errors from routing and Django's own
handlers included; pages keep their HTML."""

from __future__ import annotations

import hashlib

import pytest
import requests
from django.core.exceptions import RequestDataTooBig
from django.test import RequestFactory

from tests.factories import world_create
from tests.serverproc import ServerProcess
from webapp import errors


@pytest.mark.server
def test_an_unknown_api_url_is_a_json_404_and_a_page_stays_html(cairn_server: ServerProcess) -> None:
    for path in ("/api/v1/nope", "/api/v1/projects/local/x/runs/r1/nothing/here", "/api/v1/orgs/local/members/a/b"):
        response = requests.get(f"{cairn_server.url}{path}", timeout=10)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "application/json"
        assert response.json() == {"error": "Not found."}
    page = requests.get(f"{cairn_server.url}/local/x/y/z/w/", timeout=10)
    assert page.status_code == 404
    assert page.headers["Content-Type"].startswith("text/html")


@pytest.mark.server
def test_a_method_a_route_lacks_is_a_json_405(cairn_server: ServerProcess) -> None:
    auth = {"Authorization": f"Bearer {cairn_server.api_key}"}
    for method, path in (("DELETE", "/api/v1/health"), ("PUT", "/api/v1/viewer"), ("POST", "/api/v1/orgs/local/members/admin")):
        response = requests.request(method, f"{cairn_server.url}{path}", headers=auth, timeout=10)
        assert response.status_code == 405, (method, path, response.text)
        assert "not allowed" in response.json()["error"]


@pytest.mark.server
def test_a_file_path_with_a_newline_is_the_documented_400(cairn_server: ServerProcess) -> None:
    auth = {"Authorization": f"Bearer {cairn_server.api_key}"}
    run = f"{cairn_server.url}/api/v1/projects/local/newline/runs/r1"
    assert requests.put(run, json={}, headers=auth, timeout=10).status_code == 201
    body = b"x"
    put = requests.put(f"{run}/files/a%0Ab.txt", data=body, timeout=10,
                       headers={**auth, "X-Cairn-Sha256": hashlib.sha256(body).hexdigest()})
    assert put.status_code == 400
    assert put.json()["field"] == "path"
    get = requests.get(f"{run}/files/dir%0A/x", headers=auth, timeout=10)
    assert get.status_code == 400 and get.json()["field"] == "path"


@pytest.mark.django_db
def test_a_file_path_with_a_newline_reaches_the_view() -> None:
    w = world_create()
    c = w.member.client()
    assert c.put("/api/v1/projects/acme/secret/runs/r1", {}, format="json").status_code == 201
    response = c.put("/api/v1/projects/acme/secret/runs/r1/files/a%0Ab", data=b"x", content_type="application/octet-stream",
                     HTTP_X_CAIRN_SHA256=hashlib.sha256(b"x").hexdigest())
    assert response.status_code == 400 and response.json()["field"] == "path"
    # An outsider still learns nothing: the project is checked first.
    assert w.outsider.client().get("/api/v1/projects/acme/secret/runs/r1/files/a%0Ab").status_code == 404


def test_djangos_last_resort_handlers_answer_json_under_the_api() -> None:
    api, page = RequestFactory().get("/api/v1/anything"), RequestFactory().get("/acme/")
    response = errors.server_error(api)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert b'"error"' in response.content
    assert errors.bad_request(api, RequestDataTooBig("too big")).status_code == 413
    assert errors.bad_request(api, ValueError("bad")).status_code == 400
    assert errors.permission_denied(api, PermissionError()).status_code == 403
    assert errors.server_error(page)["Content-Type"].startswith("text/html")
