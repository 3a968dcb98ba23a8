"""Command-line interface (``deval``)."""
