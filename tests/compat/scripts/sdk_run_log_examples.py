# Usage pattern of: wandb/wandb wandb/sdk/wandb_run.py, the examples of the
#   Run.log docstring that W&B runs as tests (basic, incremental, histogram,
#   images from numpy, images from PIL, video, matplotlib)
# A rewrite in our own words, not a copy: the seven patterns one after the
# other in one process, each starting with its own wandb.init() as a notebook
# user would: a log of two numbers; a log with commit=False then one that
# commits; a Histogram of a 2-D normal array; a list of numpy Images with
# caption=; a list of PIL Images with caption=; Video(uint8 array of shape
# (time, channel, height, width), fps=); a matplotlib Figure as the value.
import numpy as np
from matplotlib import pyplot as plt
from PIL import Image as PILImage

import agent as wandb

rng = np.random.default_rng(21)

run = wandb.init()
run.log({"precision": 0.75, "epoch": 2})

run = wandb.init()
run.log({"train_loss": 0.41}, commit=False)
run.log({"val_loss": 0.47})  # the same row as train_loss

run = wandb.init()
weights = rng.normal(0, 0.02, size=(64, 64))
run.log({"weights": wandb.Histogram(weights)})

run = wandb.init()
samples = [wandb.Image(rng.integers(0, 256, size=(48, 48, 3)), caption=f"sample {n}") for n in range(3)]
run.log({"samples": samples})

run = wandb.init()
crops = []
for n in range(3):
    array = rng.integers(0, 256, size=(48, 48, 3), dtype=np.uint8)
    crops.append(wandb.Image(PILImage.fromarray(array, mode="RGB"), caption=f"crop {n}"))
run.log({"crops": crops})

run = wandb.init()
clip = rng.integers(0, 256, size=(8, 3, 32, 32), dtype=np.uint8)
run.log({"clip": wandb.Video(clip, fps=2)})

run = wandb.init()
figure, axes = plt.subplots()
t = np.linspace(0, 2 * np.pi, 60)
axes.plot(t, np.sin(t))
run.log({"sine": figure})
