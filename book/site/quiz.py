"""The ``{quiz}`` directive (first version: shows the quiz's name; the quiz issue replaces it)."""

from docutils import nodes
from sphinx.util.docutils import SphinxDirective


class QuizDirective(SphinxDirective):
    required_arguments = 1

    def run(self):
        return [nodes.paragraph(text=f"Quiz {self.arguments[0]} (rendering not implemented yet)")]


def setup(app):
    app.add_directive("quiz", QuizDirective)
