"""The population engine (torch only, never pytest): B tiny models trained as one tensor program.

Modules, one concept each: ``data`` (data sets), ``models`` (batched forward functions),
``losses``, ``optim`` (pure ``init``/``update`` optimizers), ``schedules`` (learning-rate
schedules), ``init`` (initial populations), ``trainer`` (the fused population trainer),
``rng`` (torch generators from seed sequences), ``device`` (where populations live).
"""
