"""Per-movement kinematic and spectral features."""
