# Usage pattern of: wandb/wandb tests/standalone_tests/all_media_types.py
# A rewrite in our own words, not a copy: the same media constructors with the
# same argument shapes (Histogram(np_histogram=(3 counts, 4 edges)),
# Histogram(sequence of ints), Image of zeros with caption=, of random ints,
# of a PIL "L" image and of pyplot itself, Audio(samples, sample_rate=,
# caption=) with and without captions, Html(str), Table() with add_data and
# Table(columns) with add_data twice, a plotly Figure), plain numpy arrays and
# a torch tensor as values, lists of media; run.summary.update with all of
# them, ten run.log calls with them and a string, and summary.update again.
# (W&B's script also had TensorFlow 1.x values; TensorFlow is not here.)
import matplotlib.pyplot as plt
import numpy as np
import plotly.graph_objs as go
import torch
from PIL import Image as PILImage

import agent as wandb

rng = np.random.default_rng(3)


def make_media():
    media = {}
    media["hist_given"] = wandb.Histogram(np_histogram=([5, 1, 7], [0, 10, 20, 30]))
    media["hist_rolled"] = wandb.Histogram(rng.integers(0, 6, size=500))
    media["vector"] = rng.normal(size=800)
    media["matrix"] = torch.randn(300, 300)

    blank = np.zeros((32, 32))
    media["img_blank_a"] = wandb.Image(blank, caption="all black")
    media["img_blank_b"] = wandb.Image(blank, caption="still black")
    media["img_noise"] = wandb.Image(rng.integers(0, 255, size=(32, 32, 3)))
    media["img_pil"] = wandb.Image(PILImage.new("L", (32, 32), color=90))
    plt.plot([3, 1, 4, 1, 5])
    plt.xlabel("digit index")
    media["img_pyplot"] = wandb.Image(plt)
    media["img_all"] = [media[k] for k in ("img_blank_a", "img_blank_b", "img_noise", "img_pil")]

    rate = 16000
    tone = np.sin(np.linspace(0, 440 * 2 * np.pi, rate)).astype(np.float32)
    clips = [
        wandb.Audio(tone, sample_rate=rate, caption="a pure tone"),
        wandb.Audio(tone, sample_rate=rate, caption="the same tone"),
        wandb.Audio(tone, sample_rate=rate),
        wandb.Audio(tone, sample_rate=rate),
        wandb.Audio(tone, sample_rate=rate),
        wandb.Audio(tone, sample_rate=rate, caption="a last tone"),
    ]
    for n, clip in enumerate(clips, 1):
        media[f"clip{n}"] = clip
    media["clips"] = clips

    media["page"] = wandb.Html("<p>generated <b>report</b></p>")
    loose = wandb.Table()
    loose.add_data("a review", "good", "bad")
    media["table_loose"] = loose
    named = wandb.Table(["word", "tag"])
    named.add_data("run", "verb")
    named.add_data("tree", "noun")
    media["table_named"] = named
    media["figure"] = go.Figure(data=go.Scatter(x=[1, 2, 3]), layout=go.Layout(title=go.layout.Title(text="three points")))
    return media


def main():
    wandb.init()
    media = make_media()
    as_summary = {f"{key}-summary": value for key, value in media.items()}
    wandb.run.summary.update(as_summary)
    for _ in range(10):
        wandb.run.log({"label": "text", **media})
    wandb.run.summary.update(as_summary)


if __name__ == "__main__":
    main()
