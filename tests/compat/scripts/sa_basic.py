# Usage pattern of: wandb/wandb tests/standalone_tests/basic.py
# A rewrite in our own words, not a copy: the same W&B calls in the same order
# (init(name=<the script's own file name>), one run.log of one number,
# run.finish()), with our own code around them.
import os

import agent as wandb


def smallest_run():
    script = os.path.splitext(os.path.basename(__file__))[0]
    active = wandb.init(name=script)
    active.log({"answer": 42})
    active.finish()


if __name__ == "__main__":
    smallest_run()
