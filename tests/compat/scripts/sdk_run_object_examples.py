# Usage pattern of: wandb/wandb, the docstring examples that W&B runs as tests
#   about the run object: wandb/sdk/wandb_run.py class Run ("global-run-object",
#   "run-object-basic") and wandb/sdk/wandb_init.py init() ("init-method-log",
#   "init-and-assert-global")
# A rewrite in our own words, not a copy: wandb.run is None before any init;
# init() sets it; run = init(); init() then wandb.log(dict); run = init() and
# run is wandb.run.
import agent as wandb

if wandb.run is not None:
    raise SystemExit("a run exists before init()")
wandb.init()
if wandb.run is None:
    raise SystemExit("init() did not set wandb.run")

run = wandb.init()

wandb.init()
wandb.log({"f1": 0.66})

run = wandb.init()
if run is not wandb.run:
    raise SystemExit("init() returned another object than wandb.run")
