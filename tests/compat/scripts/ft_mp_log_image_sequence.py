# Usage pattern of: wandb/wandb tests/functional_tests/t0_main/mp/19-1-log-image-sequence.py
# A rewrite in our own words, not a copy: wandb.require("service"), init() in
# the parent, the run object handed to two multiprocessing.Process children
# (kwargs=dict(run=run), default start method) that each run.log a list of
# three Images under one key; the parent joins them and calls run.finish().
import multiprocessing
import os

import numpy as np

import agent as wandb


def paint_tiles(run):
    rng = np.random.default_rng(seed=31 * os.getpid())  # each child draws its own tiles
    tiles = [wandb.Image(rng.random((4, 4))) for _ in range(3)]
    run.log({"tiles": tiles})


def main():
    wandb.require("service")
    run = wandb.init()
    workers = [multiprocessing.Process(target=paint_tiles, kwargs=dict(run=run)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    run.finish()


if __name__ == "__main__":
    main()
