# Usage pattern of: wandb/wandb tests/functional_tests/t0_main/core/t5_log_media.py
# A rewrite in our own words, not a copy: a growing list of small numpy
# Images logged under one key with commit=False, twice, and never committed
# (the pending row must be written when the run ends).
import numpy as np

import agent as wandb

run = wandb.init()
gallery = []
for shade in (0.2, 0.8):
    gallery.append(wandb.Image(np.full((3, 3), shade)))
    run.log({"gallery": gallery}, commit=False)
