# Usage pattern of: wandb/wandb tests/functional_tests/t0_main/torch/train_mnist.py
#   (W&B's variant of the PyTorch MNIST example, with W&B calls added)
# A rewrite in our own words, not a copy: a small CNN trained on synthetic
# 28x28 digits (no torchvision, no download), with the same W&B calls in the
# same order: init(); define_metric(name, hidden=True);
# define_metric(name, step_metric=); define_metric("gradients/*",
# step_metric=, step_sync=True); run.watch(model, log="gradients",
# log_freq=<the log interval>); a wandb.log of the batch loss after every
# batch and, every log interval, a wandb.log of the interval's mean loss with
# an interval counter. The harness passes the flags:
#   --use-wandb --use-wandb-define-metric --epochs 2 --log-interval 2
import argparse

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

import agent as wandb


def synthetic_digits(count, seed):
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (count,), generator=gen)
    images = torch.rand(count, 1, 28, 28, generator=gen) * 0.2
    for i, label in enumerate(labels.tolist()):  # a bright bar whose row depends on the label
        images[i, 0, 2 + 2 * label, 4:24] = 1.0
    return TensorDataset(images, labels)


class TinyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2)
        )
        self.head = nn.Linear(16 * 5 * 5, 10)

    def forward(self, x):
        return F.log_softmax(self.head(torch.flatten(self.features(x), 1)), dim=1)


def one_epoch(opts, model, loader, optimizer, counter):
    model.train()
    window = []
    for batch, (images, labels) in enumerate(loader):
        optimizer.zero_grad()
        loss = F.nll_loss(model(images), labels)
        loss.backward()
        optimizer.step()
        if opts.use_wandb:
            wandb.log({"batch_loss": loss.item()})
            window.append(loss.item())
        if batch % opts.log_interval == 0:
            counter[0] += 1
            if opts.use_wandb:
                wandb.log({"interval_loss": sum(window) / len(window), "interval_step": counter[0]})
                window = []


def evaluate(model, loader):
    model.eval()
    right = 0
    with torch.no_grad():
        for images, labels in loader:
            right += (model(images).argmax(1) == labels).sum().item()
    print(f"held-out accuracy {right / len(loader.dataset):.3f}")


def main():
    cli = argparse.ArgumentParser()
    cli.add_argument("--epochs", type=int, default=3)
    cli.add_argument("--log-interval", type=int, default=5)
    cli.add_argument("--lr", type=float, default=0.05)
    cli.add_argument("--use-wandb", action="store_true")
    cli.add_argument("--use-wandb-define-metric", action="store_true")
    opts = cli.parse_args()

    torch.manual_seed(0)
    train = DataLoader(synthetic_digits(384, 1), batch_size=32, shuffle=True)
    held_out = DataLoader(synthetic_digits(128, 2), batch_size=64)
    model = TinyCNN()
    optimizer = torch.optim.SGD(model.parameters(), lr=opts.lr)

    if opts.use_wandb:
        run = wandb.init()
        if opts.use_wandb_define_metric:
            run.define_metric("interval_step", hidden=True)
            run.define_metric("interval_loss", step_metric="interval_step")
            run.define_metric("gradients/*", step_metric="interval_step", step_sync=True)
        run.watch(model, log="gradients", log_freq=opts.log_interval)

    counter = [0]
    for _ in range(opts.epochs):
        one_epoch(opts, model, train, optimizer, counter)
        evaluate(model, held_out)


if __name__ == "__main__":
    main()
