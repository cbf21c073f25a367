"""The population engine (torch only, never pytest): B tiny models trained as one tensor program.

Modules, one concept each: ``data`` (data sets, regression on any function), ``models`` (batched
forward functions and the small-MLP builder), ``losses``, ``optim`` (pure ``init``/``update``
optimizers), ``schedules`` (learning-rate schedules), ``init`` (initial populations, per-layer
initialisers), ``trainer`` (the one population trainer), ``stopping`` (per-member stopping rules),
``epochs`` (one chunk of epochs: what compiles), ``formulations`` and ``matrices`` (how a population
is held and differentiated: columns or batched matrices), ``recording`` (trajectories, step
norms), ``precision`` (mixed precision as a strategy of the trainer; source 003's runs),
``compiling`` (when to compile, how far to unroll, eager fallback), ``arguments`` (trainer
arguments from a protocol's named values), ``rng`` (torch generators from seed sequences),
``device`` (where populations live); ``_checks`` holds the shared argument checks.
"""
