"""The ``{quiz}`` directive (placeholder until the quiz issue lands)."""


def setup(app):
    pass
