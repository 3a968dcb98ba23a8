"""Realism metrics: C2ST, MMD, PRD, k-NN precision/recall/density/coverage, per-feature distances."""
