"""Claims of source 000, "Results: Predicting Neural Network Convergence Time from Parameter State".

Every number of the document is a claim here: the data-set figures of 1.2 (checked for internal
consistency), "Convergence: guaranteed" (1.1), each row of table 2.1 and its ranking under the
document's 10-fold CV over rows *and* under leak-free GroupKFold by trace, the four observations
of 2.2, the linear law of 3.1 against its alternatives, norm equivalence and the average
distances of 3.2-3.3, "no difficult regions beyond distance" (4.1, 6.1), the feature-importance
statements of 7.2, the bootstrap and fold-consistency statements of 7.1 and 7.3, and the smart
initialisation of 5.1. The experiments live in ``harness.studies.convergence`` (traces, tables,
findings_000); this package only picks settings, calls the library and hands its numbers to the
rules of ``harness.evidence.rules``.

Settings the document does not state (learning rate, init scale, epoch cap) are calibrated at test
time by ``harness.studies.convergence.calibrate`` to 1.2's mean 34.5 and variance 9.11 of epochs
per trace (deterministic from the master seed; identical in both tiers and in the claims of source
001, which use the same seed stream). Their values and what the calibration achieved are filled
into each claim's protocol at test time (the ``compare=False`` fields of ``TraceSetup``).

Cross-validated claims (table 2.1 rows and ranking, 2.2, 3.1, 4.1, 7.1, 7.2) are decided over
traces, never over fold scores: ``stats.cv_by_units`` takes per-trace sums of the out-of-fold
predictions, a jackknife over traces with Nadeau-Bengio's correction and t quantiles (calibrated
at this shape in ``tests/test_stats_cv.py``). The document's own summary (the mean of 10 fold R²
with a t interval over folds) stays in each row's details as ``document_protocol_*``: what the
document's protocol shows, descriptive only. Rankings are compared pair by pair with a tie margin
of 0.005 and Holm. Claims whose margin is narrower than the interval 100 traces allow (R² within
+-0.005 below R² ~0.99, distances within 5%) cannot be confirmed at that n: their details say so
(``cannot_confirm_at_n``).

Two readings of 1.2's data set, side by side. Reading B, the main one (ids without suffix): the
data set holds only traces that reached a solution - the document says "Convergence: Guaranteed"
(1.1) and gives each of its 100 traces "Epochs to convergence" (1.2), so every trace in it
converged; the settings are calibrated on solved traces and the data set keeps the first 100
solved traces of a larger draw. Reading A (ids suffixed ``_all_traces``): every random
initialisation stays in, including the ~39% that start in the spurious minimum's basin and reach
the calibrated cap of ~38 epochs, the document's longest trace; it is the reading under which the
calibration reproduces 1.2's mean 34.5 and variance 9.11 - figures that 000.dataset.mean_variance_range
shows no 100 traces of range 1-38 can have, so they cannot decide between the readings. Every
claim on 1.2's data set is given under both, through the same ``catalogue.READING_SUFFIX``: each row
of table 2.1 (R², and the tree models' MSE and MAE, under both CV schemes) and its ranking, every
observation of 2.2 / 8.1, the three linearity claims of 3.1, the norms of 3.2-3.3, the
beyond-distance claims of 4.1 / 6.1, the features of 7.2 and the stability claims of 7.1 / 7.3.
The ledger's headline is reading B (the unsuffixed ids, from the document's words above); the
reading-A variants are recorded for comparison and gated like every ledger entry: the ledger holds
an expected verdict for every id, ``_all_traces`` ones included, and a run fails when any verdict
differs from it. The per-document summary (docs/source-000.md) says under which reading the table
reproduces. "Convergence: Guaranteed" itself (and 4.2's vanishing gradients) is tested on every
random initialisation, with no reading-B twin: its counter-examples are the traces reading B leaves
out; 5.1 draws its own initialisations; the full-tier sweep keeps every trace and re-tests the
reading-A twins.

Tiers. Quick: 100 traces as the document, table 2.1 with ``fast=True`` estimators (fewer trees and
MLP epochs, the primal linear kernel; see ``harness.studies.convergence.table_model``); the claims
whose evidence needs a model class the fast mode underfits (gradient boosting, the two MLPs, and
the rankings that include them) run in the full tier only, so the tiers cannot contradict each
other (``catalogue.FULL_ONLY``, reason in each protocol's ``tier``). Full: 2,000 traces for every
claim that does not fit the 11 models; table 2.1 with the full estimators on an independent
100-trace sample (the document's size; the full table on 2,000 traces takes far too long on two
cores); plus a sweep of 3 learning rates x 2 init scales re-testing five key claims through the
same builders.

Margins and thresholds (module constants, chosen from the document's wording and precision and
not changed after the first verdict run). A reproduction on fresh random traces, under calibrated
rather than the document's settings, cannot match the document's last digit; each number is read
at the precision its conclusion relies on: R² within +-0.005 (two decimals, as in "R² > 0.96";
+-0.5% of the value when |R²| > 1); the tree models' MSE and MAE within their last reported digit
(+-0.00005: "perfect prediction" rests on those digits); distances and their ratio within 5%;
"minimal"/"no" added value as an R² gain below 0.005; "extremely tight" as a 95% interval narrower
than 0.01; "consistent across folds" as a fold R² standard deviation below 0.005.

What the landscape makes of the document (``harness.studies.convergence.traces`` module
docstring): gradient descent contracts geometrically towards the minimum of the convex region it
starts in, so time is affine in log(distance), not in distance, and about 39% of random
initialisations lie in the basin of the spurious minimum (loss 1/4), which stops only on the
gradient criterion or the cap.

Layout: ``protocols`` (constants and protocol records), ``catalogue`` (the claims, each with a
frozen spec saying what its evidence computes), ``evidence`` (the seeded study and one builder
per spec type, Holm-adjusted per family), ``figures`` and ``test_claims`` (the pytest tests).
"""
