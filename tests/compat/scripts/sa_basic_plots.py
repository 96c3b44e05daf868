# Usage pattern of: wandb/wandb tests/standalone_tests/basic_plots.py
# A rewrite in our own words, not a copy: the same W&B calls in the same order
# and argument shapes: init(name=), Table(data=, columns=), plot.line(table,
# x=, y=, title=), plot.line_series with keys, title and xname given
# positionally, without keys and title, and with one x list shared by all
# series (title=, xname=), plot.histogram(table, value=, title=),
# plot.scatter(table, x=, y=, title=), a second Table for plot.bar(table,
# label=, value=, title=), and all seven charts in one log call.
import math
import os
import random

import agent as wandb

rng = random.Random(7)


def noisy_decay(n, scale):
    return [scale * math.exp(-t / 30) + rng.uniform(0, 0.05) for t in range(n)]


def build_charts():
    temps = [[t, 20 + 5 * math.cos(t / 8) + rng.gauss(0, 0.3)] for t in range(80)]
    readings = wandb.Table(data=temps, columns=["minute", "celsius"])
    trend = wandb.plot.line(readings, x="minute", y="celsius", title="temperature over time")

    long_x = list(range(80))
    short_x = [3 * t for t in range(40)]
    all_x = [long_x, long_x, short_x, short_x]
    all_y = [noisy_decay(80, 1.0), noisy_decay(80, 2.0), noisy_decay(40, 0.5), noisy_decay(40, 1.5)]
    names = ["sensor_a", "sensor_b", "sensor_c", "sensor_d"]
    series = wandb.plot.line_series(all_x, all_y, names, "four sensors", "minute")
    series_bare = wandb.plot.line_series(all_x, all_y, xname="minute")
    shared = wandb.plot.line_series(long_x, all_y, title="shared x axis", xname="minute")

    spread = wandb.plot.histogram(readings, value="celsius", title="temperature spread")
    cloud = wandb.plot.scatter(readings, x="minute", y="celsius", title="every reading")

    fruit = ["apple", "pear", "plum", "fig", "kiwi"]
    stock = wandb.Table(data=[[f, rng.randint(1, 30)] for f in fruit], columns=["fruit", "count"])
    pantry = wandb.plot.bar(stock, label="fruit", value="count", title="pantry")
    return {
        "trend": trend,
        "sensors": series,
        "sensors_bare": series_bare,
        "sensors_shared_x": shared,
        "spread": spread,
        "cloud": cloud,
        "pantry": pantry,
    }


if __name__ == "__main__":
    wandb.init(name=os.path.basename(__file__)[:-3])
    wandb.log(build_charts())
