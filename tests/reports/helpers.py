"""Reports' test data: runs with history in the private project, and reports over them."""

from __future__ import annotations

from typing import Any, NoReturn

from apps.runs.models import Project, Run, Stream
from tests.ci import unavailable
from tests.factories import Person, World, run_create


def runs_seed(project: Project, n: int = 3, steps: int = 50) -> list[Run]:
    import rest_framework.views  # noqa: F401  (first: DRF settings import apps.core.rendering, which needs it)

    from apps.runs import services as run_services

    runs = []
    for i in range(n):
        run = run_create(project, f"run{i}", name=f"run-{i}", config={"lr": 0.1 * (i + 1), "opt": ["adam", "sgd"][i % 2]},
                         summary={"best_acc": 0.5 + 0.1 * i}, state="finished")
        records = [{"step": s, "time": 1_700_000_000.0 + s, "data": {"loss": 1.0 / (s + 1) + i, "acc": s / steps, "secret_metric": 42.0}}
                   for s in range(steps)]
        run_services.stream_append(run=run, stream=Stream.HISTORY, offset=0, records=records)
        runs.append(run)
    return runs


def line_block(block_id: str = "c1", keys: list[str] | None = None, **runset: Any) -> dict[str, Any]:
    return {"id": block_id, "type": "panel", "panel": {
        "kind": "line", "title": "Loss", "keys": ["loss"] if keys is None else keys, "runset": runset or {"runs": ["run0", "run1"]}}}


def report_make(world: World, *, by: Person | None = None, project: str = "secret", publish: str | None = None,
                frozen: bool = False, blocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    by = by or world.owner
    body = {"title": "Findings", "description": "What we *found*",
            "blocks": blocks if blocks is not None else [{"id": "t1", "type": "text", "text": "# Results\nLoss falls."}, line_block()]}
    r = by.client().post(f"/api/v1/projects/acme/{project}/reports", body, format="json")
    assert r.status_code == 201, r.content
    report: dict[str, Any] = r.json()
    if publish:
        p = by.client().post(f"/api/v1/reports/{report['id']}/publish", {"visibility": publish, "frozen": frozen}, format="json")
        assert p.status_code == 201, p.content
        report = p.json()
    return report


def browser(person: Person) -> Any:
    """A client with the person's session, as pages see them (pages ignore API keys)."""
    return person.browser()


def no_weasyprint() -> NoReturn:
    """The PDF export answered 503."""
    __tracebackhide__ = True
    # Under CI the machine has Pango (Chromium brings it): a 503 there is a failure.
    unavailable("WeasyPrint's system libraries are missing here",
                ci="The PDF export answered 503: WeasyPrint's system libraries are missing")
