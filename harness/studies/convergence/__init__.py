"""Source 000/001's study: convergence time of ``y = |Wx + b|`` on centered XOR.

Modules: ``convergence`` (traces, calibration, the regression data set, the analyses of 000
and the questions of 001), ``features`` (the 18 features), ``regression`` (the 11 regressors
of table 2.1, CV schemes), ``study`` (the seeded, lazily built study both claim modules share).
"""
