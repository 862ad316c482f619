"""The quiz's doctree node, shared by the directive and the maths pass.

:mod:`book.site.quiz` (the ``{quiz}`` directive) puts a :class:`quiz_node` holding the
validated questions into a page; :mod:`book.site.mathrender` finds the formulas of those
questions (:func:`book.quiztext.texts`, :func:`book.quiztext.formulas`), so that all of them
are typeset in the build's one Node run. Both import this module; the maths pass no longer
imports the directive (the directive uses the maths pass's :func:`book.site.mathrender.markup`).
"""

from __future__ import annotations

from docutils import nodes


class quiz_node(nodes.General, nodes.Element):
    """A validated quiz: ``node['quiz']`` (its name) and ``node['questions']`` (the data)."""
