"""Claims of source 002 (loss-based sampling initialisation): protocols, catalogue, evidence, figures, tests."""
