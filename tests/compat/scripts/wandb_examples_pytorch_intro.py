# Usage pattern of: wandb/examples colabs/pytorch/Simple_PyTorch_Integration.ipynb
#   (the "model pipeline" pattern also found in many repositories, e.g.
#   MohammadAmmargk8497/OCTpytorch logger.py)
# A rewrite in our own words, not a copy: `with wandb.init(project=,
# config=hyperparameters):`, config = wandb.config read back by attribute,
# wandb.watch(model, criterion, log="all", log_freq=10), a helper
# that calls wandb.log({"epoch": epoch, "loss": float}, step=example_ct) with
# the number of examples seen as the step, and a final
# wandb.log({"test_accuracy": ...}). The notebook then exports ONNX and calls
# wandb.save("model.onnx"); onnx is not installed here, so the weights are
# saved with torch.save and that file goes to wandb.save.
import torch
from torch import nn

import agent as wandb

recipe = dict(epochs=3, classes=3, hidden=16, batch_size=24, learning_rate=0.01, dataset="blobs")


def blobs(count, seed):
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 3, (count,), generator=gen)
    centres = torch.tensor([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    return centres[labels] + 0.6 * torch.randn(count, 2, generator=gen), labels


def report(loss_value, seen, epoch):
    wandb.log({"epoch": epoch, "loss": loss_value}, step=seen)
    print(f"{seen} examples in: loss {loss_value:.3f}")


def pipeline(recipe):
    with wandb.init(project="blobs-demo", config=recipe):
        config = wandb.config
        model = nn.Sequential(nn.Linear(2, config.hidden), nn.ReLU(), nn.Linear(config.hidden, config.classes))
        criterion = nn.CrossEntropyLoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
        points, labels = blobs(480, 0)

        wandb.watch(model, criterion, log="all", log_freq=10)
        seen = 0
        for epoch in range(config.epochs):
            for start in range(0, len(points), config.batch_size):
                x, y = points[start : start + config.batch_size], labels[start : start + config.batch_size]
                loss = criterion(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                seen += len(x)
                if (start // config.batch_size + 1) % 5 == 0:
                    report(loss.item(), seen, epoch)

        test_x, test_y = blobs(150, 1)
        with torch.no_grad():
            accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
        wandb.log({"test_accuracy": accuracy})
        torch.save(model.state_dict(), "model.pt")
        wandb.save("model.pt")
    return model


if __name__ == "__main__":
    pipeline(recipe)
