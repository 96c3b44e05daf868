# Usage pattern of: wandb/wandb tests/standalone_tests/resuming_and_reinit.py
# A rewrite in our own words, not a copy: the same calls in the same order:
# init(project=, resume="must", id=) for an id that does not exist, caught as
# wandb.Error; init(project=, resume="allow", id=); wandb.run.start_time; ten
# wandb.log calls; wandb.join(); init(project=, resume="allow", id=,
# reinit=True); wandb.run.history._step; wandb.run.start_time; ten more logs;
# wandb.join(); init(project=, resume="never", id=, reinit=True) caught as
# wandb.Error; wandb.Api().run("project/id"), .history() and
# .history(stream="system"). The waits are short so it runs in seconds.
import secrets
import time

import agent as wandb

PROJECT = "resume-check"


def log_counter(times, offset):
    for n in range(times):
        wandb.log({"counter": offset + n})
        time.sleep(0.05)


def main():
    run_id = secrets.token_hex(4)

    try:
        wandb.init(project=PROJECT, resume="must", id=run_id)
        print("unexpected: resumed a run that never existed")
    except wandb.Error as err:
        print("refused as expected:", type(err).__name__)

    wandb.init(project=PROJECT, resume="allow", id=run_id)
    print("first start:", wandb.run.start_time)
    log_counter(10, 0)
    wandb.join()
    time.sleep(0.5)

    wandb.init(project=PROJECT, resume="allow", id=run_id, reinit=True)
    print("resumed at step", wandb.run.history._step)
    print("started", round(time.time() - wandb.run.start_time, 1), "s ago")
    log_counter(10, 100)
    wandb.join()

    refused = False
    try:
        wandb.init(project=PROJECT, resume="never", id=run_id, reinit=True)
    except wandb.Error:
        refused = True
    if not refused:
        raise SystemExit("resume='never' reused an existing id")

    stored = wandb.Api().run(f"{PROJECT}/{run_id}")
    print(stored.history())
    print(stored.history(stream="system"))


if __name__ == "__main__":
    main()
