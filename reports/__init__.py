"""Report writers: figures, self-contained HTML, CSV and JSON (installed as ``deval.reports``)."""
