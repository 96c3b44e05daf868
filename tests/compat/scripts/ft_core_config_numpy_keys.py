# Usage pattern of: wandb/wandb tests/functional_tests/t0_main/core/t7_config_numpy_keys.py
# A rewrite in our own words, not a copy: init(config=) whose nested dicts
# have int keys and a numpy int64 key (W&B stores them as strings).
import numpy as np

import agent as wandb

layer_sizes = {0: 64, 1: 32}
wandb.init(
    config={
        "seed": 5,
        "layers": layer_sizes,
        "schedule": {"milestones": {30: 0.1}},
        "class_weights": {np.int64(7): 2},
    }
)
