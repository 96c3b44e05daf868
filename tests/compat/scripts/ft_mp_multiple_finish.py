# Usage pattern of: wandb/wandb tests/functional_tests/t0_main/mp/22-1-multiple-finish-single-proc.py
# A rewrite in our own words, not a copy: run.finish() inside `with
# wandb.init() as run:`, and once more after the block: both are no-ops after
# the first.
import agent as wandb


def finish_twice():
    with wandb.init() as run:
        run.finish()
    run.finish()


if __name__ == "__main__":
    finish_twice()
