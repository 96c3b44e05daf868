# Usage pattern of: wandb/wandb tests/standalone_tests/offline_sync_train.py
# A rewrite in our own words, not a copy: init(mode="offline", config=dict(...)),
# a config key set as an attribute of wandb.config, then two wandb.log calls
# (a string value, then a number). The harness then runs `cairn sync`, as
# W&B's test runs `wandb sync`.
import agent as wandb

settings = dict(width=64, depth=3)
wandb.init(mode="offline", config=settings)
wandb.config.dropout = 0.1
wandb.log(dict(phase="warmup"))
wandb.log(dict(epoch=1))
