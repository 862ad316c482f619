"""Where things are, whatever the working directory.

Notebooks execute with their own folder as the working directory (at build
time and in a Binder kernel alike), so nothing in :mod:`book` may rely on it.
Used by :mod:`book.quizzes` and the tests.
"""

from pathlib import Path

#: The repository root: the folder that holds ``_config.yml``.
ROOT = Path(__file__).resolve().parent.parent
#: Quiz files, one JSON file per chapter.
QUIZZES = ROOT / "quizzes"
#: The chapters, MyST Markdown notebooks.
CHAPTERS = ROOT / "chapters"
