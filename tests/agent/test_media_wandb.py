"""W&B's media calls (numpy and Pillow only), logged by a real script, read back from a real server.

The pixels are read back from the server's copy of the file: what a user sees.
matplotlib and pandas are in tests/compat/test_media_wandb.py.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image as PILImage

from tests.agent.conftest import run_script
from tests.agent.test_media import env_of, history, processed_media
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server


def files(server: ServerProcess, project: str, run_id: str) -> Any:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    base = f"{server.url}/api/v1/projects/{server.org}/{project}/runs/{run_id}/files"

    def get(path: str) -> bytes:
        r = s.get(f"{base}/{path}", timeout=10)
        r.raise_for_status()
        return r.content

    return get


def pixel(data: bytes, xy: tuple[int, int] = (0, 0)) -> Any:
    with PILImage.open(io.BytesIO(data)) as im:
        return im.getpixel(xy)


def test_float_pixels_are_scaled_the_wandb_way(cairn_server: ServerProcess, tmp_path: Path) -> None:
    result = run_script(
        """
        import numpy as np
        import warnings
        import agent

        warnings.simplefilter("always")
        agent.init(project="wbmedia", id="floats")
        agent.log({
            "f255": agent.Image(np.tile(np.array([200.0, 100.0, 50.0]), (4, 6, 1))),  # floats holding 0-255
            "f01": agent.Image(np.full((4, 6), 0.5, dtype=np.float32)),             # [0, 1]: scaled by 255
            "fneg": agent.Image(np.array([[-1.0, 0.0, 1.0]])),                       # [-1, 1]: mapped to 0-255
            "over": agent.Image(np.array([[-20.0, 300.0, 100.0]])),                  # clipped, with a warning
            "raw": agent.Image(np.full((2, 2), 0.9), normalize=False),               # as it is: 0.9 -> 1
            "ints": agent.Image(np.full((2, 2), 180, dtype=np.int64)),
            "chw": agent.Image(np.zeros((3, 5, 7), dtype=np.uint8)),                 # C×H×W
            "gray_as_rgb": agent.Image(np.full((3, 3), 90, dtype=np.uint8), mode="RGB"),
            "jpeg": agent.Image(np.full((8, 8, 3), 255, dtype=np.uint8), file_type="jpg"),
        })
        agent.finish()
        """,
        tmp_path,
        env=env_of(cairn_server),
    )
    assert "pixel values from -20 to 300 are clipped to 0-255" in result.stderr
    rows = {r["key"]: r for r in processed_media(cairn_server, "floats", count=9)}
    assert all(r["status"] == "ready" for r in rows.values()), rows
    get = files(cairn_server, "wbmedia", "floats")
    assert pixel(get(rows["f255"]["path"]), (5, 3)) == (200, 100, 50)
    assert pixel(get(rows["f01"]["path"])) == 128
    assert [pixel(get(rows["fneg"]["path"]), (x, 0)) for x in range(3)] == [0, 128, 255]
    assert [pixel(get(rows["over"]["path"]), (x, 0)) for x in range(3)] == [0, 255, 100]
    assert pixel(get(rows["raw"]["path"])) == 1
    assert pixel(get(rows["ints"]["path"])) == 180
    assert (rows["chw"]["width"], rows["chw"]["height"]) == (7, 5)
    assert pixel(get(rows["gray_as_rgb"]["path"])) == (90, 90, 90)
    assert rows["jpeg"]["content_type"] == "image/jpeg" and rows["jpeg"]["path"].endswith(".jpeg")


def test_boxes_and_masks_in_wandb_shape_are_kept_with_the_image(cairn_server: ServerProcess, tmp_path: Path) -> None:
    result = run_script(
        """
        import numpy as np
        import agent

        agent.init(project="wbmedia", id="boxes")
        mask = np.zeros((20, 40), dtype=np.int64)
        mask[5:15, 10:30] = 2
        agent.log({"det": agent.Image(
            np.zeros((20, 40, 3), dtype=np.uint8),
            caption="street",
            boxes={
                "predictions": {
                    "box_data": [
                        {"position": {"minX": 0.1, "maxX": 0.5, "minY": 0.2, "maxY": 0.8}, "class_id": 1,
                         "box_caption": "car 0.9", "scores": {"acc": 0.9}},
                        {"position": {"middle": [30, 10], "width": 8, "height": 6}, "domain": "pixel", "class_id": 2},
                        {"position": {"minX": 0.5}, "class_id": 1},
                    ],
                    "class_labels": {1: "car", 2: "person"},
                },
                "ground_truth": "not a group",
            },
            masks={
                "predictions": {"mask_data": mask, "class_labels": {0: "road", 2: "person"}},
                "wrong_size": {"mask_data": np.zeros((3, 3), dtype=np.uint8)},
            },
        )})
        from PIL import Image
        Image.fromarray(np.full((2, 2), 1, dtype=np.uint8)).save("gt.png")
        base = agent.Image(np.zeros((2, 2), dtype=np.uint8), caption="base")
        agent.log({"copy": agent.Image(base, masks={"gt": {"path": "gt.png", "class_labels": {1: "sky"}},
                                                    "gone": {"path": "missing.png"}})})
        agent.finish()
        """,
        tmp_path,
        env=env_of(cairn_server),
    )
    # Each bad part is one warning naming it; the rest is logged.
    assert "boxes['predictions']: a box's position is" in result.stderr
    assert "boxes['ground_truth'] is a dict with a list 'box_data'; left out" in result.stderr
    assert "masks['wrong_size']: mask_data has shape (3, 3), the image is 20×40; left out" in result.stderr
    assert "masks['gone']: cannot read the mask file" in result.stderr
    copy, row = processed_media(cairn_server, "boxes", count=2)
    assert copy["caption"] == "base" and copy["meta"]["masks"]["gt"]["class_labels"] == {"1": "sky"}
    assert list(copy["meta"]["masks"]) == ["gt"]
    assert row["status"] == "ready" and row["caption"] == "street"
    boxes = row["meta"]["boxes"]
    assert list(boxes) == ["predictions"]
    assert boxes["predictions"]["class_labels"] == {"1": "car", "2": "person"}
    assert boxes["predictions"]["box_data"] == [
        {"position": {"minX": 0.1, "maxX": 0.5, "minY": 0.2, "maxY": 0.8}, "class_id": 1,
         "box_caption": "car 0.9", "scores": {"acc": 0.9}},
        {"position": {"middle": [30, 10], "width": 8, "height": 6}, "domain": "pixel", "class_id": 2},
    ]
    masks = row["meta"]["masks"]
    assert list(masks) == ["predictions"] and masks["predictions"]["class_labels"] == {"0": "road", "2": "person"}
    assert row["meta"]["class_labels"] == {"0": "road", "1": "car", "2": "person"}
    png = files(cairn_server, "wbmedia", "boxes")(masks["predictions"]["path"])
    with PILImage.open(io.BytesIO(png)) as im:
        assert im.size == (40, 20) and im.getpixel((20, 10)) == 2 and im.getpixel((0, 0)) == 0


def test_tables_and_histograms_take_wandb_calls(cairn_server: ServerProcess, tmp_path: Path) -> None:
    result = run_script(
        """
        import numpy as np
        import agent

        agent.init(project="wbmedia", id="tables")
        t = agent.Table(columns=["id", "pred"])
        for i in range(3):
            t.add_data(i, f"c{i}")
        t.add_column("score", np.array([0.5, 0.25, 0.125]))
        t.add_computed_columns(lambda ndx, row: {"double": row["id"] * 2})
        print("column", t.get_column("score"), type(t.get_column("id", convert_to="numpy")).__name__, t.get_index())
        try:
            t.add_data("three", "c3", 0.1, 6)
        except TypeError as e:
            print("mixed:", e)
        rows = agent.Table(columns=["a"], rows=[[1], [2]])
        try:
            agent.Histogram(np.arange(10), num_bins=513)
        except ValueError as e:
            print("bins:", e)
        agent.log({"preds": t, "rows": rows,
                   "h": agent.Histogram(sequence=[1, 2, 2, 3], num_bins=2),
                   "hp": agent.Histogram(np_histogram=np.histogram([1, 2, 3], bins=3))})
        agent.finish()
        """,
        tmp_path,
        env=env_of(cairn_server),
    )
    assert "column [0.5, 0.25, 0.125] ndarray [0, 1, 2]" in result.stdout
    assert "mixed: column 'id' holds number values, not string" in result.stdout
    assert "bins: num_bins is 1 to 512" in result.stdout
    rows = {r["key"]: r for r in processed_media(cairn_server, "tables", count=2)}
    get = files(cairn_server, "wbmedia", "tables")
    import json

    table = json.loads(get(rows["preds"]["path"]))
    assert table == {"columns": ["id", "pred", "score", "double"],
                     "data": [[0, "c0", 0.5, 0], [1, "c1", 0.25, 2], [2, "c2", 0.125, 4]]}
    assert json.loads(get(rows["rows"]["path"]))["data"] == [[1], [2]]
    [h] = history(cairn_server, "wbmedia", "tables", "h,hp")
    assert h["h"]["counts"] == [1, 3] and h["hp"]["counts"] == [1, 1, 1]


def test_point_clouds_reach_the_server(cairn_server: ServerProcess, tmp_path: Path) -> None:
    (tmp_path / "cube.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    result = run_script(
        """
        import json
        import numpy as np
        import agent

        agent.init(project="wbmedia", id="clouds")
        xyz = np.arange(12, dtype=np.float32).reshape(4, 3)
        rgb = np.hstack([xyz, np.tile([255, 0, 0], (4, 1))])
        cube = [[x, y, z] for x in (0, 1) for y in (0, 2) for z in (0, 3)]
        with open("scene.pts.json", "w") as fh:
            json.dump({"type": "lidar/beta", "points": [[0, 0, 0]]}, fh)
        try:
            agent.Object3D(np.zeros((4, 5)))
        except ValueError as e:
            print("refused:", e)
        agent.log({
            "xyz": agent.Object3D(xyz, caption="four points"),
            "rgb": agent.Object3D.from_numpy(rgb),
            "lidar": agent.Object3D({"type": "lidar/beta", "points": np.hstack([xyz, np.ones((4, 1))]),
                                     "boxes": [{"corners": cube, "label": "car", "color": [0, 255, 0], "score": 0.8}]}),
            "file": agent.Object3D("scene.pts.json"),
            "model": agent.Object3D("cube.obj"),
        })
        agent.finish()
        """,
        tmp_path,
        env=env_of(cairn_server),
    )
    assert "refused: points of shape (4, 5) (use N×3, N×4 with a category, or N×6 with RGB)" in result.stdout
    rows = {r["key"]: r for r in processed_media(cairn_server, "clouds", count=5)}
    assert all(r["status"] == "ready" and r["kind"] == "object3d" for r in rows.values()), rows
    assert rows["xyz"]["caption"] == "four points" and rows["xyz"]["meta"]["points"] == 4
    assert rows["model"]["meta"]["format"] == "obj" and rows["model"]["content_type"] == "application/octet-stream"
    get = files(cairn_server, "wbmedia", "clouds")
    import json

    assert json.loads(get(rows["rgb"]["path"]))["points"][1] == [3, 4, 5, 255, 0, 0]
    lidar = json.loads(get(rows["lidar"]["path"]))
    assert lidar["points"][0] == [0, 1, 2, 1] and lidar["boxes"][0]["label"] == "car" and len(lidar["boxes"][0]["corners"]) == 8
    assert json.loads(get(rows["file"]["path"]))["points"] == [[0, 0, 0]]
    assert get(rows["model"]["path"]).startswith(b"v 0 0 0")
