"""The evidence framework (never torch): what a claim is, how its verdict is decided and recorded.

Modules: ``verdicts`` (verdicts and evidence records), ``claims`` (claim records, protocols),
``ledger`` (expected verdicts, locked merge on update), ``files`` (atomic writes, locks, report
sets swapped whole), ``stats`` (verdict rules on scipy/statsmodels, Holm), ``reports`` (JSON,
Markdown, figures) and ``plugin`` (the pytest plugin, registered as the ``pytest11`` entry point
``claims``). Importing this package imports neither torch nor matplotlib.
"""
