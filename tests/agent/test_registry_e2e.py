"""The model registry end to end: training scripts link models from two projects, an evaluation uses one by alias."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.agent.test_artifacts_e2e import _api, _env, _script

pytestmark = pytest.mark.server

LINK_MODEL = """
import agent, sys
open("model.pt", "w").write("weights from " + sys.argv[2])
with agent.init(project=sys.argv[2], id="train") as run:
    run.link_model("model.pt", "registry/" + sys.argv[1], name="net", aliases=["staging"])
    print("LINKED")
"""

LINK_ARTIFACT = """
import agent, os, sys
with agent.init(project=sys.argv[2], id="train") as run:
    art = agent.Artifact("net", type="model", metadata={"acc": 0.9})
    with art.new_file("model.pt") as f:
        f.write("weights from " + sys.argv[2])
    run.log_artifact(art)
    run.link_artifact(art, os.environ["CAIRN_ORG"] + "/wandb-registry-model/" + sys.argv[1], aliases=["production"])
    print("LINKED", art.qualified_name)
"""

EVALUATE = """
import agent, sys
with agent.init(project=sys.argv[2], id="eval") as run:
    art = run.use_artifact("registry/" + sys.argv[1] + ":production")
    path = art.download(root="prod")
    print("USING", art.qualified_name, open(path + "/model.pt").read())
"""

WRONG_REGISTRY = """
import agent, sys
with agent.init(project=sys.argv[2], id="wrong") as run:
    try:
        run.link_model("model.pt", "wandb-registry-dataset/" + sys.argv[1])
    except agent.UsageError as e:
        print("REFUSED", e)
"""


def test_models_linked_from_two_projects_and_used_by_alias(cairn_server: Any, tmp_path: Path) -> None:
    env = _env(cairn_server, CAIRN_CACHE_DIR=str(tmp_path / "cache"))
    name = f"clf-{uuid.uuid4().hex[:6]}"
    first, second, third = (f"reg-{uuid.uuid4().hex[:6]}" for _ in range(3))
    assert "LINKED" in _script(LINK_MODEL, tmp_path, env, name, first).stdout
    out = _script(LINK_ARTIFACT, tmp_path, env, name, second).stdout
    assert f"LINKED {cairn_server.org}/{second}/net:v0" in out

    org = cairn_server.org
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {cairn_server.api_key}"
    got = s.get(f"{cairn_server.url}/api/v1/orgs/{org}/registry/{name}").json()
    assert [(v["version"], v["artifact"]["qualified_name"], v["aliases"]) for v in got["versions"]] == [
        ("v1", f"{org}/{second}/net:v0", ["latest", "production"]),
        ("v0", f"{org}/{first}/net:v0", ["staging"]),
    ]
    assert got["versions"][0]["artifact"]["logged_by"]["run_id"] == "train"

    # An evaluation in a third project uses the production model by its registry alias.
    out = _script(EVALUATE, tmp_path, env, name, third).stdout
    assert f"USING {org}/{second}/net:v0 weights from {second}" in out
    inputs = s.get(f"{cairn_server.url}/api/v1/projects/{org}/{third}/runs/eval/artifacts").json()["inputs"]
    assert [v["qualified_name"] for v in inputs] == [f"{org}/{second}/net:v0"]  # lineage reaches the source

    # The Api reads the registry in each of the path forms W&B users write.
    api = _api(cairn_server)
    assert name in [m.name for m in api.registered_models(org)]
    for path in (f"{org}/registry/{name}:staging", f"{org}/model-registry/{name}:v0",
                 f"{org}/wandb-registry-model/{name}:staging"):
        art = api.artifact(path)
        assert art.qualified_name == f"{org}/{first}/net:v0", path
    folder = api.artifact(f"{org}/registry/{name}:latest").download(root=str(tmp_path / "latest"))
    assert (Path(folder) / "model.pt").read_text() == f"weights from {second}"
    assert "REFUSED" in _script(WRONG_REGISTRY, tmp_path, env, name, first).stdout
