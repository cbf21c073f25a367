"""The evidence framework (never torch): what a claim is, how its verdict is decided and recorded.

Modules: ``verdicts`` (verdicts and evidence records), ``claims`` (claim records, protocols),
``ledger`` (expected verdicts, locked merge on update), ``files`` (atomic writes, locks, report
sets swapped whole), ``sources`` (the pinned source documents and the check that statements
quote them), ``rules`` (the verdict rules on scipy/statsmodels and Holm: a package, one module
per family of rules, one registry), ``planning`` (sample-size plans), ``sweeps`` (whether a
verdict survives a change of setting), ``reports`` (JSON, Markdown, figures) and the pytest
plugin: ``plugin`` (hooks and fixtures, registered as the ``pytest11`` entry point ``claims``),
``options`` (its options and their ini twins), ``scheduling`` (its xdist distribution by group),
``remote`` and ``probe`` (xdist workers on other hosts: versions, environment, arguments) and
``interrupts`` (SIGTERM as Ctrl-C, writes not cut in half). Importing this package imports
neither torch nor matplotlib.
"""
