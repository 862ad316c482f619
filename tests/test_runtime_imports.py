"""book.runtime.setup() keeps a kernel's fixed costs down (see ``_BLOCKED_MODULES``).

Each check runs in a fresh interpreter: what matters is what a new kernel imports.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from conftest import ROOT


def run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def test_glue_after_setup_skips_the_slow_optional_import_and_still_works():
    proc = run("""
        import sys
        from book.runtime import setup
        setup(tensorflow=False)
        from myst_nb.ext.glue import glue, GLUE_PREFIX  # what the first glue() call imports
        import jsonschema
        assert sys.modules["rfc3987_syntax"] is None  # blocked, never imported
        # jsonschema goes on without the plugin: validation (with formats) still works
        jsonschema.validate({"a": 1}, {"properties": {"a": {"type": "integer"}}},
                            format_checker=jsonschema.FormatChecker())
        try:
            jsonschema.validate({"a": "x"}, {"properties": {"a": {"type": "integer"}}})
        except jsonschema.ValidationError:
            pass
        else:
            raise AssertionError("an invalid instance passed")
    """)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_a_module_imported_before_setup_is_left_alone():
    proc = run("""
        import sys, types
        sys.modules["rfc3987_syntax"] = types.ModuleType("rfc3987_syntax")
        from book.runtime import setup
        setup(tensorflow=False)
        assert sys.modules["rfc3987_syntax"] is not None
    """)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_import_tensorflow_once_imported_touches_nothing_autograph_could_convert(monkeypatch):
    """book.sidebyside calls import_tensorflow inside tf.function. In the build's worker processes
    AutoGraph could not find the source of ``os.environ.setdefault`` and printed the bound method,
    with the whole environment of the process, into two published pages. Once TensorFlow is
    imported, import_tensorflow must not touch the environment at all."""
    import os

    from book.runtime import import_tensorflow

    tf, keras = import_tensorflow()
    touched = []

    class Watched(dict):
        def setdefault(self, *args):
            touched.append(args)
            return super().setdefault(*args)

        def __setitem__(self, key, value):
            touched.append((key, value))
            super().__setitem__(key, value)

    monkeypatch.setattr(os, "environ", Watched(os.environ))

    @tf.function
    def traced(x):
        return import_tensorflow()[0].square(x)

    assert float(traced(tf.constant(3.0))) == 9.0
    assert import_tensorflow() == (tf, keras)
    assert touched == []
