"""TensorBoard event files, written by tensorboardX, on the server as written.

`cairn import tensorboard DIR` (and `cairn sync --tensorboard DIR`) makes one
run per folder of event files; `init(sync_tensorboard=True)` follows the
files a training process writes while it runs.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.compat.conftest import ServerReader
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server

WRITE = """
import numpy as np
from tensorboardX import SummaryWriter

w = SummaryWriter("logs/train")
for step in range(10):
    w.add_scalar("loss", 1.0 / (step + 1), step)
    w.add_scalar("acc/top1", step / 10, step)
# A histogram with known buckets: limits 1..4 holding 1, 2, 3, 4 values, from 0.
w.add_histogram_raw("weights", min=0.0, max=4.0, num=10, sum=25.0, sum_squares=70.0,
                    bucket_limits=[1.0, 2.0, 3.0, 4.0], bucket_counts=[1, 2, 3, 4], global_step=5)
image = np.zeros((3, 4, 6), dtype=np.uint8)  # CHW: red left half, blue right half
image[0, :, :3] = 255
image[2, :, 3:] = 255
w.add_image("sample", image, 9)
w.close()
v = SummaryWriter("logs/val")
v.add_scalar("loss", 0.75, 9)
v.close()
"""


def _run_of(reader: ServerReader, org: str, project: str) -> dict[str, dict[str, Any]]:
    response = reader.get(f"projects/{org}/{project}/runs/")
    assert response.status_code == 200, response.text
    return {r["name"]: r for r in response.json()["results"]}


def _f32(x: float) -> float:
    return float(struct.unpack("f", struct.pack("f", x))[0])  # TensorBoard keeps float32


def test_it_imports_scalars_histogram_and_image_as_written(
    run_py: Callable[..., Any], cairn: Callable[..., Any], reader: ServerReader,
    cairn_server: ServerProcess, tmp_path: Path,
) -> None:
    run_py(WRITE, tmp_path)
    first = cairn("import", "tensorboard", "logs", "--project", "tb-import", cwd=tmp_path)
    assert first.stdout.count("imported, synced") == 2, first.stdout
    org = cairn_server.org
    runs = _run_of(reader, org, "tb-import")
    assert sorted(runs) == ["train", "val"]
    train = runs["train"]
    assert train["state"] == "finished"
    assert train["system"]["imported"]["from"] == "tensorboard"
    rows = reader.history(org, "tb-import", train["id"])
    by_step = {r["step"]: r for r in rows}
    assert sorted(by_step) == list(range(10))
    for step in range(10):
        assert by_step[step]["loss"] == _f32(1.0 / (step + 1))
        assert by_step[step]["acc/top1"] == _f32(step / 10)
    histogram = by_step[5]["weights"]
    assert histogram["_type"] == "histogram"
    assert histogram["edges"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert histogram["counts"] == [1, 2, 3, 4]
    image = by_step[9]["sample"]
    assert image["_type"] == "image" and (image["width"], image["height"]) == (6, 4)
    png = reader.get(f"projects/{org}/tb-import/runs/{train['id']}/files/{image['path']}")
    assert png.status_code == 200
    from PIL import Image

    pixels = Image.open(io.BytesIO(png.content)).convert("RGB")
    assert pixels.getpixel((0, 0)) == (255, 0, 0) and pixels.getpixel((5, 3)) == (0, 0, 255)
    val_rows = reader.history(org, "tb-import", runs["val"]["id"])
    assert [(r["step"], r["loss"]) for r in val_rows] == [(9, 0.75)]

    again = cairn("sync", "--tensorboard", "logs", "--project", "tb-import", cwd=tmp_path)
    assert again.stdout.count("already imported") == 2, again.stdout
    assert reader.run(org, "tb-import", train["id"])["streams"]["history"] == 10
    assert len(_run_of(reader, org, "tb-import")) == 2


def test_sync_tensorboard_logs_what_a_training_process_writes(
    run_py: Callable[..., Any], reader: ServerReader, cairn_server: ServerProcess, tmp_path: Path,
) -> None:
    run_py(
        """
        import time
        import numpy as np
        import agent
        from tensorboardX import SummaryWriter

        run = agent.init(project="tb-live", id="live-1", sync_tensorboard=True, config={"lr": 0.1})
        w = SummaryWriter("runs/exp")
        for step in range(30):
            w.add_scalar("loss", 1.0 / (step + 1), step)
            w.add_histogram("w", np.arange(10.0) + step, step)
            w.flush()
            time.sleep(0.1)  # training: the files are read while they grow
        w.add_image("img", np.zeros((3, 4, 5)), 29)
        w.close()
        agent.finish()
        """,
        tmp_path,
    )
    org = cairn_server.org
    run = reader.run(org, "tb-live", "live-1")
    assert run["state"] == "finished" and run["config"] == {"lr": 0.1}
    rows = reader.history(org, "tb-live", "live-1")
    assert [r["step"] for r in rows] == list(range(30))
    assert [r["loss"] for r in rows] == [_f32(1.0 / (s + 1)) for s in range(30)]
    assert all(r["w"]["_type"] == "histogram" and sum(r["w"]["counts"]) == 10 for r in rows)
    assert rows[-1]["img"]["_type"] == "image"
