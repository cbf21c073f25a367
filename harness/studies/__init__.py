"""Studies: the experiments of one source or study, built from the engine, feeding evidence rules.

* :mod:`harness.studies.convergence`: ``y = |Wx + b|`` on centered XOR (sources 000 and 001):
  traces, calibration, the regression data set, features, regressors, the seeded trace study.
"""
