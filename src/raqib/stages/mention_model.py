"""The mention model: does this clause report an incident that happened (and is news)?

The trigger rules (``raqib.stages.tagging``) find every clause that names violence or protest; most such
clauses in real news do not report an incident — commentary on "the fighting in Syria", a purpose
("للقتال في سوريا"), a plan, a reaction to an incident reported elsewhere. A logistic regression over the
mention's features (``EventTagger._features``: words around the trigger, the trigger, what the clause
states, the rules' cues, article context) gives the probability that the mention reports a current
incident; mentions below ``threshold`` are dropped before incidents are assembled.

It is trained on the hand-coded dev split of ``../shared/data/events-gold`` (``raqib models
train-events --gold``): a mention is positive when its clause holds the evidence of a current gold event
of the same family, negative when it matches no gold event or only a tally/background one, and left out
of training when it is another mention of a gold incident (it is neither right nor wrong to keep it).
The model is a JSON file of feature weights (``data/mention_model.json``), validated on load.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

MODEL_PATH = Path(__file__).resolve().parent / "data" / "mention_model.json"


class MentionModelError(ValueError):
    """The model file is missing fields or is not a model."""


class MentionModel(BaseModel):
    """Logistic regression over named binary features, with the decision threshold and how it was made."""

    model_config = ConfigDict(extra="forbid")
    version: str = Field(description="Model version, recorded in each event's extractor_version.")
    bias: float
    weights: dict[str, float]
    threshold: float = Field(ge=0.0, le=1.0)
    trained_on: dict[str, Any] = Field(default_factory=dict, description="Data, counts and settings of the fit.")

    def score(self, features: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def keeps(self, features: dict[str, float]) -> bool:
        return self.score(features) >= self.threshold

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> MentionModel:
        try:
            return cls.model_validate(orjson.loads(path.read_bytes()))
        except (OSError, orjson.JSONDecodeError, ValidationError) as exc:
            raise MentionModelError(f"{path}: not a mention model: {str(exc).splitlines()[0]}") from exc

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(orjson.dumps(self.model_dump(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def fit(
    features: list[dict[str, float]],
    labels: list[int],
    *,
    c: float = 1.0,
    threshold: float = 0.5,
    version: str = "mentions-1",
    trained_on: dict[str, Any] | None = None,
) -> MentionModel:
    """Fit the logistic regression (L2, balanced classes); weights under 1e-4 are dropped."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer()
    x = vec.fit_transform(features)
    clf = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    clf.fit(x, labels)
    names = vec.get_feature_names_out()
    weights = {str(n): round(float(w), 5) for n, w in zip(names, clf.coef_[0], strict=True) if abs(w) >= 1e-4}
    return MentionModel(
        version=version,
        bias=round(float(clf.intercept_[0]), 5),
        weights=weights,
        threshold=threshold,
        trained_on=dict(trained_on or {}, positives=int(sum(labels)), mentions=len(labels), c=c),
    )
