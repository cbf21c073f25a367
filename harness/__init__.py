"""Population harness: B tiny torch models trained as one batched tensor program.

The library never imports pytest. Modules, one concept each:
``data`` (data sets), ``models`` (batched forward functions), ``losses``, ``optim``
(pure ``init``/``update`` optimizers), ``schedules`` (learning-rate schedules),
``trainer`` (population trainer), ``rng`` (seed derivation), ``device``,
``verdicts`` (evidence and verdict records), ``stats`` (verdict rules),
``claims`` (claim records, protocols, ledger), ``reports``, ``features``, ``regression``.
"""
