# Usage pattern of: vwxyzjn/cleanrl cleanrl/ppo.py (the `--track` path, the same in
#   most CleanRL scripts)
# A rewrite in our own words, not a copy: arguments parsed into a namespace,
# a run name of env id, experiment name, seed and start time joined by "__", and when
# tracking: `import wandb` inside the if, then wandb.init(project=, entity=
# (None by default), sync_tensorboard=True, config=vars(args), name=run_name,
# monitor_gym=True, save_code=True). CleanRL then writes its metrics only
# through a TensorBoard SummaryWriter (add_text of the hyperparameters,
# add_scalar("charts/episodic_return", ..., global_step), ...), which W&B
# syncs. TensorBoard is not installed in the compat venv, so the writer here
# is a small stand-in with the same methods that keeps what it was given; the
# policy is a REINFORCE learner on a made-up two-armed bandit.
import argparse
import random
import time

import torch

GOOD_ARM = 1


class Writer:
    """Stand-in for torch.utils.tensorboard.SummaryWriter (not installed here)."""

    def __init__(self, logdir):
        self.logdir, self.scalars = logdir, []

    def add_text(self, tag, text):
        print(tag, text.splitlines()[0])

    def add_scalar(self, tag, value, step):
        self.scalars.append((tag, float(value), step))

    def close(self):
        print(f"{len(self.scalars)} scalars for {self.logdir}")


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--exp-name", default="ppo_bandit")
    p.add_argument("--env-id", default="TwoArmedBandit-v0")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--learning-rate", type=float, default=0.1)
    p.add_argument("--total-timesteps", type=int, default=200)
    p.add_argument("--track", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--wandb-project-name", default="cleanRL")
    p.add_argument("--wandb-entity", default=None)
    return p.parse_args()


def main():
    args = parse()
    run_name = "__".join([args.env_id, args.exp_name, str(args.seed), str(int(time.time()))])
    if args.track:
        import agent as wandb

        wandb.init(
            project=args.wandb_project_name,
            entity=args.wandb_entity,
            sync_tensorboard=True,
            config=vars(args),
            name=run_name,
            monitor_gym=True,
            save_code=True,
        )
    writer = Writer(f"runs/{run_name}")
    writer.add_text("hyperparameters", "\n".join(f"{k}={v}" for k, v in vars(args).items()))

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    logits = torch.zeros(2, requires_grad=True)
    optim = torch.optim.Adam([logits], lr=args.learning_rate)
    for global_step in range(args.total_timesteps):
        policy = torch.distributions.Categorical(logits=logits)
        arm = policy.sample()
        reward = float(random.random() < (0.8 if arm.item() == GOOD_ARM else 0.2))
        loss = -policy.log_prob(arm) * (reward - 0.5)
        optim.zero_grad()
        loss.backward()
        optim.step()
        writer.add_scalar("charts/episodic_return", reward, global_step)
        writer.add_scalar("losses/policy_loss", loss.item(), global_step)
    writer.close()


if __name__ == "__main__":
    main()
