"""Study of source 002: loss-based rejection-sampling initialisation of two tiny ReLU networks.

``schemes`` (initialisation schemes and thresholds), ``metrics`` (per-member outcomes),
``calibration`` (unstated settings chosen from the document's baseline figures) and ``study``
(arms sampled and trained as one population per model).
"""
