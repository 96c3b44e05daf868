# Usage pattern of: wandb/wandb tests/standalone_tests/tweets.py
# A rewrite in our own words, not a copy: a scikit-learn text classifier
# (CountVectorizer + MultinomialNB) whose outputs go to W&B's built-in charts,
# in the same order and argument shapes: plot.roc_curve(y_true, probas,
# classes), the same with title=; plot.pr_curve likewise; then
# plot.confusion_matrix(preds=, y_true=, class_names=), (preds=, y_true=),
# (preds=, y_true=, title=) with ids that are multiples of 5, and
# (probs=, y_true=, class_names=); each chart in its own log call. The labels
# are a pandas Series of strings, the probabilities a numpy array, the class
# names the classifier's numpy array. The data: made-up product reviews.
import os

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB

import agent as wandb

MOODS = {
    "happy": ["love", "great", "fast", "works"],
    "angry": ["broken", "refund", "slow", "never"],
    "neutral": ["arrived", "box", "tuesday", "blue"],
}


def fake_reviews(count, seed=11):
    rng = np.random.default_rng(seed)
    filler = ["the", "it", "was", "my", "order", "phone"]
    moods = rng.choice(sorted(MOODS), size=count)
    texts = [" ".join(rng.choice(MOODS[m] + filler, size=7)) for m in moods]
    return pd.DataFrame({"review": texts, "mood": moods})


def main():
    wandb.init(name=os.path.basename(__file__).split(".")[0])
    reviews = fake_reviews(1500)
    train, held_out = reviews.iloc[:1200], reviews.iloc[1200:]

    vectorizer = CountVectorizer().fit(train["review"])
    model = MultinomialNB().fit(vectorizer.transform(train["review"]), train["mood"])
    truth = held_out["mood"]
    probas = model.predict_proba(vectorizer.transform(held_out["review"]))
    guesses = model.predict(vectorizer.transform(held_out["review"]))
    labels = model.classes_

    wandb.log({"roc": wandb.plot.roc_curve(truth, probas, labels)})
    wandb.log({"roc_titled": wandb.plot.roc_curve(truth, probas, labels, title="review ROC")})
    wandb.log({"pr": wandb.plot.pr_curve(truth, probas, labels)})
    wandb.log({"pr_titled": wandb.plot.pr_curve(truth, probas, labels, title="review PR")})

    position = {name: i for i, name in enumerate(labels)}
    guess_ids = [position[g] for g in guesses]
    truth_ids = [position[t] for t in truth]
    wandb.log({"cm": wandb.plot.confusion_matrix(preds=guess_ids, y_true=truth_ids, class_names=labels)})
    wandb.log({"cm_unnamed": wandb.plot.confusion_matrix(preds=guess_ids, y_true=truth_ids)})
    spaced_guess = [5 * i for i in guess_ids]
    spaced_truth = [5 * i for i in truth_ids]
    wandb.log({"cm_spaced": wandb.plot.confusion_matrix(preds=spaced_guess, y_true=spaced_truth, title="ids 0, 5, 10")})
    wandb.log({"cm_from_probs": wandb.plot.confusion_matrix(probs=probas, y_true=truth_ids, class_names=labels)})


if __name__ == "__main__":
    main()
