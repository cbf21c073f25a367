"""The population engine (torch only, never pytest): B tiny models trained as one tensor program.

Modules, one concept each: ``data`` (data sets), ``models`` (batched forward functions and the
small-MLP builder), ``losses``, ``optim`` (pure ``init``/``update`` optimizers), ``schedules``
(learning-rate schedules), ``init`` (initial populations), ``trainer`` (the fused population
trainer), ``compiling`` (when to compile, how far to unroll, eager fallback), ``arguments``
(trainer arguments from a protocol's named values), ``rng`` (torch generators from seed
sequences), ``device`` (where populations live); ``_checks`` holds the shared argument checks.
"""
