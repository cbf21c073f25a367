"""Source 003's study: recovering ``W = 2, b = 1`` of ``y = 2x + 1`` with one linear layer and Adam.

Modules: ``recipe`` (the baseline, the full recipe and the cumulative ablation rows, from the
document's code blocks; data settings), ``study`` (the seeded population study: one fused fp32
population of every arm, the fp16 arms, gradient-norm records), ``calibration`` (the grid that
chose the unstated data settings from the document's baseline figures), ``timing`` (the
logging-frequency measurement).
"""
