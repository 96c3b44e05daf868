# Usage pattern of: karpathy/nanoGPT train.py
# A rewrite in our own words, not a copy: nanoGPT's W&B use, around a tiny
# character-level bigram model trained on made-up text (CPU, a few seconds):
# the settings are module-level names gathered into a `config` dict, then
# (only on the master process, when wandb_log is on) `import wandb` inside the
# if, wandb.init(project=, name=, config=config), and at every eval interval
# one wandb.log({"iter": int, "train/loss": <0-d torch tensor>, "val/loss":
# <0-d torch tensor>, "lr": float, "mfu": float}); no wandb.finish() (the run
# ends at exit). mfu stays at -100 until the fifth iteration, as nanoGPT's
# running estimate does.
import math
import time

import torch
from torch import nn
from torch.nn import functional as F

# settings (nanoGPT overrides such names from configurator.py / the command line)
wandb_log = True
wandb_project = "shakespeare-char"
wandb_run_name = "mini-gpt"
block_size = 16
batch_size = 8
learning_rate = 3e-3
min_lr = 3e-4
warmup_iters = 5
max_iters = 40
eval_interval = 10
eval_iters = 4
config = {name: value for name, value in list(globals().items()) if name[0] != "_" and type(value) in (int, float, bool, str)}

master_process = True
text = "to be or not to be that is the question " * 40
alphabet = sorted(set(text))
encoded = torch.tensor([alphabet.index(c) for c in text])
cut = int(0.9 * len(encoded))
splits = {"train": encoded[:cut], "val": encoded[cut:]}
torch.manual_seed(1337)


class Bigram(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.table = nn.Embedding(vocab, vocab)

    def forward(self, idx, targets):
        logits = self.table(idx)
        return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def batch(split):
    data = splits[split]
    starts = torch.randint(len(data) - block_size - 1, (batch_size,))
    x = torch.stack([data[s : s + block_size] for s in starts])
    y = torch.stack([data[s + 1 : s + 1 + block_size] for s in starts])
    return x, y


@torch.no_grad()
def estimate_loss(model):
    means = {}
    for split in splits:
        losses = torch.zeros(eval_iters)
        for k in range(eval_iters):
            losses[k] = model(*batch(split))[1].item()
        means[split] = losses.mean()  # a 0-d tensor, logged as it is
    return means


def lr_at(it):
    if it < warmup_iters:
        return learning_rate * (it + 1) / warmup_iters
    progress = (it - warmup_iters) / (max_iters - warmup_iters)
    return min_lr + 0.5 * (1 + math.cos(math.pi * progress)) * (learning_rate - min_lr)


model = Bigram(len(alphabet))
optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)

if master_process and wandb_log:
    import agent as wandb

    wandb.init(project=wandb_project, name=wandb_run_name, config=config)

running_mfu = -1.0  # "not measured yet"
started = time.time()
for iter_num in range(max_iters + 1):
    lr = lr_at(iter_num)
    for group in optimizer.param_groups:
        group["lr"] = lr
    if iter_num % eval_interval == 0 and master_process:
        losses = estimate_loss(model)
        print(f"step {iter_num}: train {losses['train']:.3f} val {losses['val']:.3f}")
        if wandb_log:
            wandb.log(
                {
                    "iter": iter_num,
                    "train/loss": losses["train"],
                    "val/loss": losses["val"],
                    "lr": lr,
                    "mfu": running_mfu * 100,
                }
            )
    _, loss = model(*batch("train"))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if iter_num >= 5:  # a made-up utilisation, smoothed with an exponential moving average
        sample = 0.01 + 0.001 * (iter_num % 7)
        if running_mfu < 0:
            running_mfu = sample
        else:
            running_mfu += 0.1 * (sample - running_mfu)
print(f"done in {time.time() - started:.1f}s")
