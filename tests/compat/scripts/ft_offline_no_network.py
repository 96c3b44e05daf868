# Usage pattern of: wandb/wandb tests/functional_tests/t0_main/offline/t1_no_network.py
# A rewrite in our own words, not a copy: init(mode="offline") while the
# server address does not resolve (the harness sets it), two run.log calls,
# run.finish(). The harness then syncs the run to the real server.
import agent as wandb

run = wandb.init(mode="offline")
run.log(dict(offline_a=1))
run.log(dict(offline_b=2))
run.finish()
