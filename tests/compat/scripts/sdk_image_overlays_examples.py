# Usage pattern of: wandb/wandb, the docstring examples that W&B runs as tests
#   of image overlays: wandb/sdk/data_types/helper_types/bounding_boxes_2d.py
#   class BoundingBoxes2D ("boundingbox-2d", "bb2d-image-with-labels") and
#   wandb/sdk/data_types/helper_types/image_mask.py class ImageMask
#   ("log-image-mask", "log-image-mask-table")
# A rewrite in our own words, not a copy: four parts, each with its own
# wandb.init(), in the same order and shapes:
#   1. Image(array, boxes={"predictions": {"box_data": [...], "class_labels":
#      {int: str}}}) with one box in relative coordinates (position minX/maxX/
#      minY/maxY, class_id, box_caption, scores) and one in pixels (position
#      middle/width/height, domain="pixel"), logged;
#   2. the same plus classes=wandb.Classes([{"name", "id"}, ...]), put in a
#      Table(columns=["image"]) with add_data, the table logged;
#   3. Image(uint8 array, masks={"predictions": {"mask_data", "class_labels"},
#      "ground_truth": {...}}) logged;
#   4. the same plus classes=wandb.Classes(...), in a Table, logged.
import numpy as np

import agent as wandb

rng = np.random.default_rng(4)
SPECIES = {0: "cat", 1: "dog", 2: "bird", 3: "fish"}


def pet_boxes():
    return {
        "pets": {
            "box_data": [
                {
                    "position": {"minX": 0.15, "maxX": 0.45, "minY": 0.2, "maxY": 0.6},
                    "class_id": 0,
                    "box_caption": SPECIES[0],
                    "scores": {"confidence": 0.87, "iou": 0.64},
                },
                {
                    "position": {"middle": [220, 90], "width": 50, "height": 40},
                    "domain": "pixel",
                    "class_id": 2,
                    "box_caption": "a bird on the fence",
                    "scores": {"confidence": 0.42, "iou": 0.31},
                },
            ],
            "class_labels": SPECIES,
        }
    }


def species_classes():
    return wandb.Classes([{"name": name, "id": key} for key, name in SPECIES.items()])


def quadrant_mask(split):
    mask = np.zeros((80, 80), dtype=np.uint8)
    mask[split:, :split] = 1
    mask[:split, split:] = 2
    mask[split:, split:] = 3
    return mask


# 1. boxes
wandb.init()
yard = rng.integers(low=0, high=256, size=(160, 320, 3))
wandb.log({"yard": wandb.Image(yard, boxes=pet_boxes())})

# 2. boxes with a class set, in a table
wandb.init()
yard = rng.integers(low=0, high=256, size=(160, 320, 3))
framed = wandb.Image(yard, boxes=pet_boxes(), classes=species_classes())
gallery = wandb.Table(columns=["image"])
gallery.add_data(framed)
wandb.log({"yard_table": gallery})

# 3. masks
wandb.init()
aquarium = rng.integers(low=0, high=256, size=(80, 80, 3), dtype=np.uint8)
layers = {
    "predicted": {"mask_data": quadrant_mask(40), "class_labels": SPECIES},
    "labelled": {"mask_data": quadrant_mask(20), "class_labels": SPECIES},
}
wandb.log({"aquarium": wandb.Image(aquarium, masks=layers)})

# 4. masks with a class set, in a table
wandb.init()
aquarium = rng.integers(low=0, high=256, size=(80, 80, 3), dtype=np.uint8)
segmented = wandb.Image(aquarium, masks=layers, classes=species_classes())
rows = wandb.Table(columns=["image"])
rows.add_data(segmented)
wandb.log({"aquarium_table": rows})
