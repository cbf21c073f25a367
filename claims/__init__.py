"""Claim tests, one module per source document in ../shared/sources/."""
