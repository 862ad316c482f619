"""Shared code of the LSTM course.

Every chapter imports what it needs from here instead of repeating helpers:

- :mod:`book.runtime`   -- notebook setup: quiet TensorFlow, fixed seeds (every chapter);
- :mod:`book.plots`     -- matplotlib style and plotly figures as static-site HTML;
- :mod:`book.paths`     -- where the repository, the quizzes and the chapters are;
- :mod:`book.metrics`   -- how the experiments score a model (chapters 5, 6).

Modules that only the Sphinx build uses live in :mod:`book.site` and are never
imported by a reader's kernel.
"""

__version__ = "1.0.0"
