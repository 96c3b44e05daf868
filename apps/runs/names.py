"""Readable names for runs started without one: ``adjective-noun-number``, as W&B names them.

The number is the run's place in its project (the project's run count when it
was created), so names sort the way the runs were started and rarely repeat.
"""

from __future__ import annotations

import secrets

ADJECTIVES = (
    "amber", "ancient", "autumn", "bold", "brave", "breezy", "bright", "calm", "clear", "cobalt",
    "cosmic", "crimson", "crisp", "dainty", "dawn", "deep", "dry", "dusky", "eager", "earnest",
    "easy", "electric", "fancy", "fast", "fearless", "fiery", "fresh", "frosty", "gentle", "glad",
    "golden", "grand", "green", "happy", "hardy", "hidden", "honest", "icy", "jolly", "keen",
    "kind", "lively", "lucky", "lunar", "misty", "noble", "olive", "patient", "polar", "proud",
    "quiet", "rapid", "rare", "restful", "rosy", "royal", "rustic", "sandy", "serene", "sharp",
    "silent", "silver", "smooth", "snowy", "solar", "spring", "steady", "stellar", "still", "stoic",
    "summer", "sunny", "swift", "tidy", "twilight", "vivid", "warm", "wild", "winter", "wise",
)

NOUNS = (
    "aurora", "badger", "basin", "bay", "beacon", "birch", "bluff", "breeze", "brook", "butte",
    "canyon", "cedar", "cliff", "cloud", "comet", "cove", "crater", "creek", "crest", "dawn",
    "delta", "dune", "eagle", "ember", "falcon", "fern", "field", "fjord", "flower", "forest",
    "fox", "frost", "galaxy", "glacier", "glade", "grove", "harbor", "hawk", "heron", "hill",
    "island", "lake", "lark", "leaf", "marsh", "meadow", "mesa", "moon", "moss", "nebula",
    "oak", "ocean", "otter", "owl", "peak", "pine", "planet", "pond", "rain", "ridge",
    "river", "shadow", "sky", "slope", "snow", "sound", "spruce", "star", "stone", "storm",
    "sun", "summit", "thunder", "tide", "trail", "tundra", "valley", "wave", "willow", "wind",
)


def run_name_new(number: int) -> str:
    """A name such as ``brave-otter-12`` for the project's ``number``-th run."""
    return f"{secrets.choice(ADJECTIVES)}-{secrets.choice(NOUNS)}-{number}"
