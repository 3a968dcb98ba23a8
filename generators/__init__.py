"""Generator registry and generators (installed as ``deval.generators``)."""
