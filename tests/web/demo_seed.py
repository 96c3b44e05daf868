"""A realistic project for whole-site checks (accessibility, screenshots):
CNN-like runs with train/ and val/ metrics, images, a failed and a crashed
run, a report, a sweep and a benchmark with an entry, all in the `local`
organisation of a real server, made through its API like an agent would.
"""

from __future__ import annotations

import hashlib
import math
import random
import subprocess
import time
import uuid
from dataclasses import dataclass

from tests.serverproc import ROOT, ServerProcess, server_python
from tests.web.media_seed import api_session, media_rows_create, png, run_url, upload


@dataclass
class Demo:
    project: str
    runs: list[str]
    report: str
    sweep: str
    benchmark: str
    entry: int
    public_report: str  # the published report's address, "" if publishing failed
    join_token: str  # an unused invitation link's token, to `local` as a member
    registered_model: str  # the organisation's model registry entry of the `resnet` artifact


def _history(steps: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out = []
    for step in range(steps):
        decay = math.exp(-step / (steps / 4))
        out.append({"step": step, "time": 1_700_000_000 + step * 3, "data": {
            "epoch": step // 10,
            "train/loss": 2.3 * decay + 0.1 + rng.random() * 0.05,
            "train/acc": 1 - 0.9 * decay - rng.random() * 0.02,
            "val/loss": 2.3 * decay + 0.2 + rng.random() * 0.08,
            "val/acc": 0.95 - 0.85 * decay - rng.random() * 0.03,
        }})
    return out


def demo_seed(server: ServerProcess, *, steps: int = 200) -> Demo:
    s = api_session(server)
    api = f"{server.url}/api/v1"
    tag = uuid.uuid4().hex[:6]
    project = f"cnn-{tag}"
    s.post(f"{api}/orgs/local/projects", json={"slug": project, "visibility": "private"}).raise_for_status()
    runs = []
    for i, (lr, exit_code) in enumerate([(0.1, 0), (0.01, 0), (0.001, 0), (0.03, 1), (0.3, None)]):
        run_id = f"run{i}"
        url = run_url(server, project, run_id)
        s.put(url, json={
            "name": ["bright-otter-1", "calm-heron-2", "swift-lynx-3", "broken-newt-4", "lost-crane-5"][i],
            "config": {"lr": lr, "batch_size": 64, "optimizer": "adam", "model": {"depth": 18, "width": 64}},
            "tags": ["baseline"] if i == 0 else [], "notes": "ResNet-ish on CIFAR-10", "group": "resnet" if i < 3 else "",
            "system": {"git": {"commit": f"c0ffee{i}", "dirty": False}, "host": "gpu-01"},
        }).raise_for_status()
        history = _history(steps, i)
        s.post(f"{url}/streams/history", json={"offset": 0, "records": history}).raise_for_status()
        last = history[-1]["data"]
        s.patch(url, json={"summary": {**last, "test/acc": last["val/acc"] - 0.01}}).raise_for_status()  # type: ignore[dict-item,index]
        if i == 0:
            for step in (0, 100):
                upload(s, url, f"media/images/samples_{step}.png", png(64, 48, (200, step, 40)))
            media_rows_create(server, project, run_id, [
                {"key": "samples", "step": step, "index": 0, "kind": "image", "path": f"media/images/samples_{step}.png",
                 "caption": f"step {step}", "status": "ready", "width": 64, "height": 48,
                 "content_type": "image/png", "thumb": [200, step, 40]} for step in (0, 100)])
        if exit_code is not None:
            s.post(f"{url}/finish", json={"exit_code": exit_code}).raise_for_status()
        runs.append(run_id)
    # The last one stopped sending: crashed, as the dead-run check leaves it.
    subprocess.run(
        [server_python(), str(ROOT / "manage.py"), "shell", "-c",
         f"from apps.runs.models import Run; Run.objects.filter(project__slug={project!r}, run_id='run4').update(state='crashed')"],
        env=server.env, cwd=str(ROOT), check=True, capture_output=True,
    )
    # A dataset the first run used, and the model it made (artifacts, lineage).
    papi = f"{api}/projects/local/{project}"
    for name, type_, files, run_id in (("cifar10", "dataset", {"train.csv": b"x,y\n1,2\n"}, "run1"),
                                       ("resnet", "model", {"model.pt": b"weights"}, "run0")):
        for body in files.values():
            s.put(f"{papi}/artifacts/blobs/{hashlib.sha256(body).hexdigest()}", data=body).raise_for_status()
        manifest = [{"path": k, "digest": hashlib.sha256(b).hexdigest(), "size": len(b)} for k, b in files.items()]
        s.post(f"{papi}/artifacts/", json={"name": name, "type": type_, "run_id": run_id, "manifest": manifest,
                                           "aliases": ["latest"]}).raise_for_status()
    s.post(f"{papi}/runs/run0/artifacts/used", json={"artifact": f"local/{project}/cifar10:latest"}).raise_for_status()
    registered_model = f"resnet-{tag}"  # the organisation's registry: the model, as `production`
    s.post(f"{api}/orgs/local/registry/{registered_model}",
           json={"artifact": f"local/{project}/resnet:latest", "aliases": ["production"]}).raise_for_status()
    report = s.post(f"{api}/projects/local/{project}/reports", json={"title": "Learning-rate study"}).json()["id"]
    s.patch(f"{api}/reports/{report}", json={"description": "Which **learning rate** trains fastest."})
    published = s.post(f"{api}/reports/{report}/publish", json={"visibility": "public"})
    public_url = published.json()["url"] if published.ok else ""
    sweep = s.post(f"{api}/projects/local/{project}/sweeps/", json={"config": {
        "method": "grid", "metric": {"name": "val/acc", "goal": "maximize"},
        "parameters": {"lr": {"values": [0.1, 0.01]}},
    }}).json()["id"]
    benchmark = f"cifar-{tag}"
    s.post(f"{api}/benchmarks/", json={
        "org": "local", "slug": benchmark, "name": "CIFAR-10 speedrun", "metric_key": "test/acc",
        "metric_name": "Test accuracy", "precision": 3, "rules": "Train on the **standard** split only.",
    }).raise_for_status()
    entry = s.post(f"{api}/benchmarks/local/{benchmark}/submissions/", json={"run": f"local/{project}/run0"}).json()["id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not s.get(f"{api}/benchmarks/local/{benchmark}/leaderboard").json()["count"]:
        time.sleep(0.2)
    # Invitation links have no API: made as the members page makes them.
    made = subprocess.run(
        [server_python(), str(ROOT / "manage.py"), "shell", "-c",
         "from django.contrib.auth.models import User; from apps.orgs import people; from apps.orgs.models import Organization, Role; "
         "print(people.invite_link_create(org=Organization.objects.get(slug='local'), role=Role.MEMBER, "
         "invited_by=User.objects.get(username='admin'), days=7).token)"],
        env=server.env, cwd=str(ROOT), check=True, capture_output=True, text=True,
    )
    return Demo(project, runs, report, sweep, benchmark, entry, public_url, made.stdout.strip().splitlines()[-1],
                registered_model)


RUN_TABS = ("overview", "charts", "system", "logs", "files", "artifacts", "code")


def demo_pages(demo: Demo, *, signed_in: bool) -> dict[str, str]:
    """Every page worth a look, by a short name: the signed-in set, or what a visitor sees."""
    p = f"/local/{demo.project}"
    common = {
        "benchmarks": "/benchmarks/",
        "leaderboard": f"/benchmarks/local/{demo.benchmark}/",
        "entry": f"/benchmarks/local/{demo.benchmark}/entries/{demo.entry}/",
        "not-found": "/no-such-org/no-such-project/",
        **({"report-public": demo.public_report} if demo.public_report else {}),
        "join-invalid": "/join/not-a-real-token/",
        "search": "/search/?q=cnn",
    }
    if not signed_in:
        return {**common, "sign-in": "/login/", "sign-up": "/signup/", "password-reset": "/password-reset/",
                "password-reset-link-invalid": "/password-reset/MQ/set-password/", "join": f"/join/{demo.join_token}/",
                "private-project": f"{p}/"}
    pages = {
        "home": "/local/",
        "project": f"{p}/",
        **{f"run-{tab}": f"{p}/runs/run0?tab={tab}" for tab in RUN_TABS},
        "run-crashed": f"{p}/runs/run4",
        "compare": f"{p}/compare/?runs=run0,run1,run2",
        "group": f"{p}/groups/resnet/",
        "project-settings": f"{p}/settings/",
        "reports": f"{p}/reports/",
        "report": f"{p}/reports/{demo.report}/",
        "report-edit": f"{p}/reports/{demo.report}/edit",
        "sweeps": f"{p}/sweeps/",
        "sweep": f"{p}/sweeps/{demo.sweep}/",
        "alerts": f"{p}/alerts/",
        "alert-channels": "/local/-/alert-channels/",
        "registry": "/local/-/registry/",
        "registered-model": f"/local/-/registry/{demo.registered_model}/",
        "artifact": f"{p}/artifacts/resnet/",
        "artifact-version": f"{p}/artifacts/resnet/latest",
        "members": "/local/-/members/",
        "keys": "/settings/keys/",
        "invitations": "/settings/invitations/",
        "profile": "/settings/profile/",
        "password-change": "/settings/password/",
        "org-new": "/settings/orgs/new/",
        "notifications": "/notifications/",
        "benchmark-new": "/benchmarks/new/",
        "benchmark-edit": f"/benchmarks/local/{demo.benchmark}/edit/",
    }
    return {**common, **pages}
