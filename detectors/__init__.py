"""Detector heads (installed as ``deval.detectors``)."""
