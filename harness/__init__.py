"""Claims-suite harness, in three layers that import one way (engine <- evidence <- studies <- claims).

* :mod:`harness.engine` (torch, never pytest): populations of B tiny models as ``(B, P)``
  tensors: data, models, losses, optimizers, schedules, init strategies, the fused trainer.
* :mod:`harness.evidence` (never torch): claim records, verdict rules, Holm families, the
  ledger, reports and the pytest plugin (entry point ``claims``).
* :mod:`harness.studies` (both): the experiments of one source or study, built from the engine
  and handing numbers to the evidence rules.

:mod:`harness.seeds` (numpy only) sits beneath all three: every random stream descends from one
master seed through it. Nothing low imports anything high; ``tests/test_layers.py`` checks it.
"""
