# Usage pattern of: wandb/wandb tests/functional_tests/t0_main/mp/10-metric.py
# A rewrite in our own words, not a copy: init(), define_metric(name,
# summary="max") before anything is logged, one log of another key, then three
# logs of the defined key whose largest value is not the last, and finish().
# The summary must keep the maximum.
import agent as wandb

run = wandb.init()
run.define_metric("accuracy", summary="max")
run.log(dict(epoch=0))
for value in (0.61, 0.93, 0.77):
    run.log(dict(accuracy=value))
run.finish()
