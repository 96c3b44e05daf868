# Usage pattern of: CLARIN-PL/personalized-nlp cartography/scripts/training/export_wandb_logs.py
# A rewrite in our own words, not a copy: wandb.Api(timeout=), api.runs("<entity>/<project>"),
# and for each run its config merged with run.summary._json_dict (keys that
# start with "_" and gradient keys left out), run.name and run.state, as rows
# of a pandas DataFrame written to CSV. The harness logs two runs into
# nlp-lab/review-sentiment first, and compares the CSV with what they logged.
from pathlib import Path

import pandas as pd

import agent as wandb

ENTITY, PROJECT = "nlp-lab", "review-sentiment"
OUT = Path(__file__).resolve().parent / "exports"


def flat_record(run):
    merged = dict(run.config)
    merged.update(run.summary._json_dict)
    kept = {key: value for key, value in merged.items() if not key.startswith("_") and "gradients" not in key}
    kept["name"] = run.name
    kept["state"] = run.state
    return kept


def export():
    client = wandb.Api(timeout=20)
    table = pd.DataFrame([flat_record(run) for run in client.runs(f"{ENTITY}/{PROJECT}")])
    OUT.mkdir(exist_ok=True)
    table.to_csv(OUT / f"runs_{PROJECT}.csv", index=False)


if __name__ == "__main__":
    export()
