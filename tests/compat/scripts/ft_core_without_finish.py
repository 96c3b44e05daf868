# Usage pattern of: wandb/wandb tests/functional_tests/t0_main/core/t1_without_finish.py
# A rewrite in our own words, not a copy: init() with no arguments, two
# wandb.log calls of one key each, and no finish(): the run must still end
# (and be complete) when the interpreter exits.
import agent as wandb

wandb.init()
for key, value in (("first", 10), ("second", 20)):
    wandb.log({key: value})
# no wandb.finish() on purpose
