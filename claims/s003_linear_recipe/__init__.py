"""Claims of source 003, "Model Improvement Strategy: 10 Methods for Linear Regression Convergence".

Modules: ``protocols`` (the protocol records), ``catalogue`` (every claim, with the rule that
decides it), ``evidence`` (claim -> Evidence from the study), ``figures``, ``test_claims``.
"""
