# Usage pattern of: wandb/wandb tests/functional_tests/t0_main/mp/20-2-thread-pool-executor.py
# A rewrite in our own words, not a copy: multiprocessing start method set to
# "spawn", then a ThreadPoolExecutor of four threads each running
# `with wandb.init(project=, config={...}) as run:` and three run.log calls.
import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import agent as wandb


def one_trial(seed):
    with wandb.init(project="threaded-trials", config={"seed": seed}) as run:
        for epoch in range(3):
            run.log({"score": seed * 10 + epoch})


if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one_trial, [3, 8, 21, 5]))
