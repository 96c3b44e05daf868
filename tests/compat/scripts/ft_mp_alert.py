# Usage pattern of: wandb/wandb tests/functional_tests/t0_main/mp/12-alert.py
# A rewrite in our own words, not a copy: wandb.setup(), init(), two run.log
# calls, then run.alert(title, text, level) with all three positional and the
# level as the string "ERROR".
import agent as wandb

wandb.setup()
run = wandb.init()
for step_loss in (0.9, 7.5):
    run.log(dict(loss=step_loss))
run.alert("loss exploded", "loss rose from 0.9 to 7.5 in one step", "ERROR")
