# Usage pattern of: wandb/wandb tests/functional_tests/t0_main/core/t6_log_images.py
# A rewrite in our own words, not a copy: `with wandb.init() as run`, then
# Images logged under a plain key, a key with forward slashes and a key with
# backslashes (which W&B refuses with ValueError on Windows only).
import sys

import numpy as np

import agent as wandb

pixels = np.linspace(0, 1, 16).reshape(4, 4)

with wandb.init() as run:
    run.log({"flat": wandb.Image(pixels)})
    run.log({"nested/key/name": wandb.Image(pixels)})
    refused = False
    try:
        run.log({"back\\slashed\\key": wandb.Image(pixels)})
    except ValueError:
        refused = True
    if refused != sys.platform.startswith("win"):
        raise SystemExit(f"backslash key refused={refused} on {sys.platform}")
