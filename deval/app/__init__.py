"""The application layer: the ``deval`` command line (:mod:`deval.app.cli`), the demo
(:mod:`deval.app.demo`) and the GAN-harness hooks (:mod:`deval.app.hooks`).

Everything here composes the layers below it (the core, the generators, the detectors, the
reports) through their library calls; nothing below imports from here
(``tests/test_layers.py`` checks it).
"""
