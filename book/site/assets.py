"""Site assets (placeholder until the reader-experience issue lands)."""


def setup(app):
    pass
