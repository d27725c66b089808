"""Model features from a strategy's indicator nodes: the same numbers in training and live.

A model trained on a workflow reads the outputs of its indicator nodes ("node_id.port") as its
feature columns. Training computes them over a whole dataset (`compute_features`); a live
deployment computes them one bar at a time (`StreamingFeatures`). Both drive the indicator
registry's vectorised and streaming forms, which agree to the bit, so the model sees live
exactly the values it was trained on (a property test proves it on random series).

    columns = feature_columns(spec, ["rsi_1.value", "sma_fast.value"])
    matrix = compute_features(spec, bars, columns)         # rows × columns, NaN in warm-up
    live = StreamingFeatures(spec, columns)
    vector = live.update(open, high, low, close, volume)   # None until every column has a value
"""

from services.core.features.batch import FeatureMatrix, compute_features, first_complete_row
from services.core.features.columns import FeatureColumn, feature_columns
from services.core.features.streaming import FeatureState, StreamingFeatures

__all__ = [
    "FeatureColumn",
    "FeatureMatrix",
    "FeatureState",
    "StreamingFeatures",
    "compute_features",
    "feature_columns",
    "first_complete_row",
]
