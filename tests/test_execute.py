"""book.site.execute: notebooks run in parallel before Sphinx reads them, and myst-nb then
finds each of them in the execution cache (executes nothing itself).

The unit tests use myst-nb's own configuration objects and a real jupyter-cache in a
temporary folder, with a stand-in for the kernel. The ``slow`` tests build a two-page
Jupyter Book with the course's extension, with real kernels.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from book.site import execute

NOTEBOOK = """\
---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
{extra}---

# {title}

```{{code-cell}} ipython3
print({code})
```
"""


def write_notebook(folder: Path, name: str, code: str = "1 + 1", extra: str = "") -> Path:
    path = folder / f"{name}.md"
    path.write_text(NOTEBOOK.format(title=name, code=code, extra=extra))
    return path


@pytest.fixture
def fake_env(tmp_path):
    """The parts of Sphinx's environment that the module reads, with myst-nb's real configs."""
    from jupyter_cache import get_cache
    from myst_nb.core.config import NbParserConfig
    from myst_parser.config.main import MdParserConfig

    src = tmp_path / "src"
    src.mkdir()
    env = SimpleNamespace(
        mystnb_config=NbParserConfig(
            execution_mode="cache", execution_timeout=30, execution_cache_path=str(tmp_path / "cache")
        ),
        myst_config=MdParserConfig(),
        config=SimpleNamespace(source_encoding="utf-8-sig"),
        doc2path=lambda docname: str(src / f"{docname}.md"),
    )
    return SimpleNamespace(env=env, src=src, cache=get_cache(tmp_path / "cache"))


def fake_run(notebook, cwd, timeout, allow_errors):
    """Stands in for a kernel: 'executes' each code cell by printing its source; fails on 'boom'."""
    if any("boom" in cell.source for cell in notebook.cells):
        return notebook, 0.5, "CellExecutionError: boom"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                nbformat.v4.new_output("stream", name="stdout", text=f"ran in {Path(cwd).name}\n")
            ]
    return notebook, 1.25, None


def run_in_threads(pending, cache, workers=2):
    """execute_in_parallel with the stand-in kernel, in threads (spawning processes takes seconds)."""
    from concurrent.futures import ThreadPoolExecutor

    return execute.execute_in_parallel(
        pending, cache, workers, task=fake_run, pool_factory=ThreadPoolExecutor
    )


# ------------------------------------------------------------------------------ workers


def test_worker_count_defaults_to_the_available_cores():
    assert execute.worker_count({}) == execute.available_cores() >= 1
    assert execute.worker_count({execute.WORKERS_ENV: " 3 "}) == 3
    assert execute.worker_count({execute.WORKERS_ENV: "1"}) == 1


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_a_bad_worker_count_is_a_clear_error(value):
    with pytest.raises(ValueError, match=rf"{execute.WORKERS_ENV}=.*whole number"):
        execute.worker_count({execute.WORKERS_ENV: value})


# ------------------------------------------------------------------------------ matching


def test_pending_notebooks_are_the_uncached_notebooks(fake_env):
    write_notebook(fake_env.src, "a")
    write_notebook(fake_env.src, "b", code="2 + 2")
    (fake_env.src / "plain.md").write_text("# Not a notebook\n\nText only.\n")
    pending = execute.pending_notebooks(fake_env.env, ["a", "b", "plain", "missing"], fake_env.cache)
    assert [p.docname for p in pending] == ["a", "b"]
    assert pending[0].timeout == 30 and pending[0].allow_errors is False


def test_executed_notebooks_are_cached_as_mystnb_matches_them(fake_env):
    """After the parallel run, the notebook myst-nb reads from the file matches a cache record."""
    from myst_nb.core.read import create_nb_reader

    path = write_notebook(fake_env.src, "a")
    pending = execute.pending_notebooks(fake_env.env, ["a"], fake_env.cache)
    failures = run_in_threads(pending, fake_env.cache)
    assert failures == {}
    # What myst-nb's parser does with the page (myst_nb.sphinx_.Parser.parse + NotebookClientCache).
    text = path.read_text()
    reader = create_nb_reader(str(path), fake_env.env.myst_config, fake_env.env.mystnb_config, text)
    record = fake_env.cache.match_cache_notebook(reader.read(text))
    assert record.uri == str(path)
    assert record.data == {"execution_seconds": 1.25}  # the status page's time
    cached = fake_env.cache.get_cache_bundle(record.pk).nb
    assert cached.cells[-1].outputs[0]["text"] == "ran in src\n", (
        "the kernel must run in the notebook's folder"
    )
    assert execute.pending_notebooks(fake_env.env, ["a"], fake_env.cache) == []


def test_an_edited_notebook_is_pending_again(fake_env):
    path = write_notebook(fake_env.src, "a")
    run_in_threads(execute.pending_notebooks(fake_env.env, ["a"], fake_env.cache), fake_env.cache)
    path.write_text(path.read_text().replace("1 + 1", "1 + 2"))
    assert [p.docname for p in execute.pending_notebooks(fake_env.env, ["a"], fake_env.cache)] == ["a"]


def test_a_failed_notebook_is_not_cached(fake_env):
    """myst-nb must find no result (and then report the worker's failure, see replay_failures)."""
    write_notebook(fake_env.src, "ok")
    write_notebook(fake_env.src, "bad", code="boom")
    pending = execute.pending_notebooks(fake_env.env, ["ok", "bad"], fake_env.cache)
    failures = run_in_threads(pending, fake_env.cache)
    assert list(failures) == ["bad"] and "boom" in str(failures["bad"])
    assert failures["bad"].notebook is not None
    assert [p.docname for p in execute.pending_notebooks(fake_env.env, ["ok", "bad"], fake_env.cache)] == [
        "bad"
    ]


def test_notebooks_that_mystnb_would_not_execute_are_left_alone(fake_env):
    write_notebook(fake_env.src, "off", extra="mystnb:\n  execution_mode: 'off'\n")
    write_notebook(fake_env.src, "skipped")
    fake_env.env.mystnb_config = fake_env.env.mystnb_config.copy(execution_excludepatterns=("*skipped*",))
    assert execute.pending_notebooks(fake_env.env, ["off", "skipped"], fake_env.cache) == []


def test_a_notebook_level_timeout_is_honoured(fake_env):
    write_notebook(fake_env.src, "long", extra="mystnb:\n  execution_timeout: 600\n")
    assert execute.pending_notebooks(fake_env.env, ["long"], fake_env.cache)[0].timeout == 600


# ------------------------------------------------------------------------- download


def test_the_downloaded_notebook_gets_the_cached_outputs(fake_env, tmp_path):
    """What myst-nb writes to jupyter_execute/ after a cache hit: the notebook without outputs."""
    from myst_nb.core.read import create_nb_reader

    path = write_notebook(fake_env.src, "a")
    run_in_threads(execute.pending_notebooks(fake_env.env, ["a"], fake_env.cache), fake_env.cache)
    text = path.read_text()
    read = create_nb_reader(str(path), fake_env.env.myst_config, fake_env.env.mystnb_config, text).read(text)
    written = tmp_path / "jupyter_execute" / "a.ipynb"
    written.parent.mkdir()
    written.write_text(nbformat.writes(read))
    assert not nbformat.read(str(written), 4).cells[-1].outputs

    assert execute.add_cached_outputs(written, fake_env.cache) is True
    notebook = nbformat.read(str(written), 4)
    assert notebook.cells[-1].outputs[0]["text"] == "ran in src\n"
    assert notebook.cells[0].cell_type == "markdown"  # the whole notebook, not only its code


def test_an_unexecuted_notebook_is_left_as_written(fake_env, tmp_path):
    written = tmp_path / "x.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(3)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    written.write_text(nbformat.writes(nb))
    before = written.read_text()
    assert execute.add_cached_outputs(written, fake_env.cache) is False
    assert written.read_text() == before


# ------------------------------------------------------------------------- streams


def _stream(text, name="stdout"):
    return nbformat.v4.new_output("stream", name=name, text=text)


def test_consecutive_printed_text_is_joined_unchanged():
    """However the kernel cut its printed text, one output per run of one stream, the text
    exactly as printed (a cut in the middle of a line adds no line break)."""
    figure = nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>"})
    outputs = [
        _stream("tokens read   LSTM state"),
        _stream("\n  1,000  1,024\n"),
        _stream("b\n", name="stderr"),
        _stream(["c", "\n"], name="stderr"),
        figure,
        _stream("after the figure\n"),
    ]
    joined = execute.join_streams(outputs)
    assert [o.get("name", o.output_type) for o in joined] == ["stdout", "stderr", "display_data", "stdout"]
    assert joined[0]["text"] == "tokens read   LSTM state\n  1,000  1,024\n"
    assert joined[1]["text"] == "b\nc\n"
    assert joined[2] is figure and joined[3]["text"] == "after the figure\n"
    assert execute.join_streams([]) == []


@pytest.mark.slow
def test_a_real_kernels_printed_text_comes_back_as_one_output(tmp_path):
    """A cell whose kernel sends its printed text in two messages (a flush between them) gives
    one output from :func:`execute.execute_notebook`, the function of the build's workers."""
    code = "import sys\nprint('first half', end='')\nsys.stdout.flush()\nprint(' second half')\nprint('end')"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    result = execute.execute_notebook(nb, cwd=str(tmp_path), timeout=60)
    assert result.err is None, result.exc_string
    outputs = result.nb.cells[0].outputs
    assert len(outputs) == 1, outputs
    assert outputs[0]["text"] == "first half second half\nend\n"


# ------------------------------------------------------------------------------ order


def test_never_timed_notebooks_run_first_most_code_first_then_the_longest(fake_env):
    write_notebook(fake_env.src, "short", code="1")
    write_notebook(fake_env.src, "long", code="'" + "x" * 500 + "'")
    write_notebook(fake_env.src, "quick", code="3")
    write_notebook(fake_env.src, "slow", code="4")
    pending = execute.pending_notebooks(fake_env.env, ["short", "long", "quick", "slow"], fake_env.cache)
    order = execute.execution_order(pending, {"quick": 2.0, "slow": 90.0})
    assert [p.docname for p in order] == ["long", "short", "slow", "quick"]


def test_run_times_are_remembered_beside_the_cache_and_outlive_it(fake_env):
    import shutil

    write_notebook(fake_env.src, "a")
    write_notebook(fake_env.src, "b", code="2")
    pending = execute.pending_notebooks(fake_env.env, ["a", "b"], fake_env.cache)
    assert run_in_threads(pending, fake_env.cache) == {}
    cache_path = fake_env.cache.path
    assert execute.times_file(cache_path).parent == Path(cache_path).parent
    assert execute.remembered_seconds(cache_path) == {"a": 1.25, "b": 1.25}
    shutil.rmtree(cache_path)  # what book.site.freshness does when book/ or the pins change
    assert execute.remembered_seconds(cache_path) == {"a": 1.25, "b": 1.25}
    execute.remember_seconds(cache_path, {"b": 7.0})
    assert execute.remembered_seconds(cache_path) == {"a": 1.25, "b": 7.0}


@pytest.mark.parametrize(
    "text", ["{not json", "[1, 2]", '{"a": "x", "b": true, "c": NaN, "d": 1e999}', "\xff"]
)
def test_an_unreadable_times_file_is_ignored_and_written_anew(fake_env, text):
    execute.times_file(fake_env.cache.path).write_text(text, encoding="latin-1")
    assert execute.remembered_seconds(fake_env.cache.path) == {}
    execute.remember_seconds(fake_env.cache.path, {"a": 2.0})
    assert execute.remembered_seconds(fake_env.cache.path) == {"a": 2.0}


# --------------------------------------------------------------- the cache, checked before use


def cache_with(fake_env, name: str, outputs: list) -> None:
    """Cache ``name`` as executed, with ``outputs`` on its code cell."""
    from jupyter_cache.base import CacheBundleIn

    write_notebook(fake_env.src, name, code=repr(name))
    (pending,) = execute.pending_notebooks(fake_env.env, [name], fake_env.cache)
    pending.notebook.cells[-1].outputs = outputs
    fake_env.cache.cache_notebook_bundle(
        CacheBundleIn(pending.notebook, str(pending.path)), check_validity=False, overwrite=True
    )


def test_a_cached_run_that_printed_to_stderr_is_dropped_and_runs_again(fake_env, caplog):
    """A one-off notice on stderr (a font cache built on the first run) must not fail every
    later build from the cache: the strict build (stderr_output: remove-warn) would."""
    fake_env.env.mystnb_config = fake_env.env.mystnb_config.copy(output_stderr="remove-warn")
    cache_with(
        fake_env,
        "noisy",
        [nbformat.v4.new_output("stream", name="stderr", text="Matplotlib is building the font cache\n")],
    )
    cache_with(fake_env, "quiet", [nbformat.v4.new_output("stream", name="stdout", text="2\n")])
    assert execute.check_cached(fake_env.env, ["noisy", "quiet"], fake_env.cache) == ["noisy"]
    assert [
        p.docname for p in execute.pending_notebooks(fake_env.env, ["noisy", "quiet"], fake_env.cache)
    ] == ["noisy"]


def test_a_cached_run_with_cut_printed_text_is_joined_in_the_cache(fake_env):
    """A run cached before the build joined printed text (a restored CI cache) is joined in the
    cache when its page is read, kept (not run again), with its data (the run time)."""
    from jupyter_cache.base import CacheBundleIn

    cache_with(fake_env, "cut", [_stream("first "), _stream("line\n")])
    (record,) = fake_env.cache.list_cache_records()
    bundle = fake_env.cache.get_cache_bundle(record.pk)
    fake_env.cache.cache_notebook_bundle(
        CacheBundleIn(bundle.nb, record.uri, data={"execution_seconds": 3.5}),
        check_validity=False,
        overwrite=True,
    )
    assert execute.check_cached(fake_env.env, ["cut"], fake_env.cache) == []
    assert execute.pending_notebooks(fake_env.env, ["cut"], fake_env.cache) == []
    (record,) = fake_env.cache.list_cache_records()
    assert record.data == {"execution_seconds": 3.5}
    outputs = fake_env.cache.get_cache_bundle(record.pk).nb.cells[-1].outputs
    assert [o["text"] for o in outputs] == ["first line\n"]
    # already joined: left as it is
    assert (
        execute.join_cached_streams(fake_env.cache, record, fake_env.cache.get_cache_bundle(record.pk).nb)
        is False
    )


def test_stderr_is_kept_when_the_book_shows_it(fake_env):
    fake_env.env.mystnb_config = fake_env.env.mystnb_config.copy(output_stderr="show")
    cache_with(fake_env, "noisy", [nbformat.v4.new_output("stream", name="stderr", text="note\n")])
    assert execute.check_cached(fake_env.env, ["noisy"], fake_env.cache) == []


def test_a_truncated_cached_notebook_is_dropped_and_runs_again(fake_env):
    cache_with(fake_env, "cut", [])
    (record,) = fake_env.cache.list_cache_records()
    path = fake_env.cache._get_notebook_path_cache(record.hashkey)
    path.write_text(path.read_text()[:100])
    assert execute.check_cached(fake_env.env, ["cut"], fake_env.cache) == ["cut"]
    assert fake_env.cache.list_cache_records() == []


def test_a_corrupt_cache_database_names_the_file_and_the_fix(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "global.db").write_bytes(b"this is not an SQLite database" * 100)
    with pytest.raises(execute.CacheError, match=r"global\.db cannot be read .*run `make clean`"):
        execute.open_cache(folder)


# --------------------------------------------------------------- the build's kernel


def test_the_build_kernel_spec_is_first_on_jupyter_path(tmp_path):
    from jupyter_client.kernelspec import KernelSpecManager

    environ = {"JUPYTER_PATH": "/somewhere/else"}
    root = execute.install_kernel_spec(tmp_path, environ)
    assert environ["JUPYTER_PATH"].split(os.pathsep) == [str(root), "/somewhere/else"]
    execute.install_kernel_spec(tmp_path, environ)  # idempotent
    assert environ["JUPYTER_PATH"].split(os.pathsep) == [str(root), "/somewhere/else"]
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = environ["JUPYTER_PATH"]
    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    finally:
        if old is None:
            del os.environ["JUPYTER_PATH"]
        else:
            os.environ["JUPYTER_PATH"] = old
    assert spec.argv[:3] == [sys.executable, "-m", "book.site.kernel"]


@pytest.mark.parametrize("value, limit", [("", 0), ("0", 0), ("2560", 2560), (" 512 ", 512)])
def test_the_kernel_memory_setting(value, limit):
    from book.site.kernel import memory_limit_mb

    assert memory_limit_mb({"BOOK_KERNEL_MEMORY_MB": value}) == limit


@pytest.mark.parametrize("value", ["-1", "2G", "1.5"])
def test_a_bad_kernel_memory_setting_is_a_clear_error(value):
    from book.site.kernel import memory_limit_mb

    with pytest.raises(ValueError, match="BOOK_KERNEL_MEMORY_MB"):
        memory_limit_mb({"BOOK_KERNEL_MEMORY_MB": value})


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_DATA is enforced on Linux")
def test_an_allocation_beyond_the_limit_fails_at_once():
    code = (
        "import time; from book.site.kernel import apply_memory_limit; assert apply_memory_limit(300)\n"
        "import numpy as np\n"
        "small = np.ones(10_000_000)  # 80 MB: fine\n"
        "t = time.perf_counter()\n"
        "try:\n    np.ones(100_000_000)  # 800 MB\nexcept MemoryError as e:\n"
        "    print('MemoryError', round(time.perf_counter() - t, 3), e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith("MemoryError"), out.stdout + out.stderr
    assert float(out.stdout.split()[1]) < 1.0


# --------------------------------------------------------------- a real book, real kernels

BOOK_CONFIG = """\
title: mini
only_build_toc_files: true
execute:
  execute_notebooks: cache
  timeout: 60
  allow_errors: false
  run_in_temp: false
repository:
  url: https://github.com/example/mini
  branch: main
launch_buttons:  # sphinx-book-theme writes the ".ipynb" download only for pages with launch buttons
  binderhub_url: https://mybinder.org
sphinx:
  extra_extensions:
    - book.site.execute
"""


def mini_book(root: Path, pages: dict[str, str], *, config: str = BOOK_CONFIG) -> Path:
    (root / "_config.yml").write_text(config)
    toc = "format: jb-book\nroot: intro\nchapters:\n" + "".join(f"  - file: {name}\n" for name in pages)
    (root / "_toc.yml").write_text(toc)
    (root / "intro.md").write_text("# Mini\n\nA test book.\n")
    for name, code in pages.items():
        write_notebook(root, name, code=code)
    return root


def jb_build(root: Path, workers: int) -> subprocess.CompletedProcess:
    env = {**os.environ, execute.WORKERS_ENV: str(workers)}
    jb = Path(sys.executable).parent / "jupyter-book"
    return subprocess.run(
        [str(jb), "build", str(root), "-W", "-n", "--keep-going"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )


#: Code that prints the transport of the kernel it runs in ("ipc" or "tcp").
TRANSPORT = "__import__('ipykernel.kernelapp', fromlist=['_']).IPKernelApp.instance().transport"


def assert_kernels_on_ipc(root: Path, page: str, log: str) -> None:
    """The page's kernel ran on the IPC transport, said nothing about TCP in the build log,
    and left no socket file in the notebook's folder."""
    if not execute._ipc_available():
        return
    html = (root / "_build" / "html" / f"{page}.html").read_text()
    assert f"{page} ipc\n" in html, "the kernel did not run on the IPC transport"
    assert "without encryption" not in log and "Kernel is running over TCP" not in log, log[-3000:]
    assert not [p.name for p in root.iterdir() if "ipc" in p.name], "socket files left in the book"


def test_the_build_kernel_manager_gives_each_kernel_its_own_absolute_sockets():
    one, two = execute.IPCKernelManager(), execute.IPCKernelManager()
    if not execute._ipc_available():
        assert one.transport == "tcp" and one.ip == "127.0.0.1"
        return
    assert one.transport == two.transport == "ipc"
    assert Path(one.ip).is_absolute() and one.ip != two.ip


@pytest.mark.slow
@pytest.mark.claims  # the second tier: builds small books
def test_a_book_executes_in_parallel_and_mystnb_only_reads_the_cache(tmp_path):
    from jupyter_cache import get_cache

    root = mini_book(tmp_path, {"one": "'one', __import__('os').getcwd()", "two": f"'two', {TRANSPORT}"})
    proc = jb_build(root, 2)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert_kernels_on_ipc(root, "two", log)
    assert "executing 2 notebook(s) in 2 worker processes" in log, log[-3000:]
    assert log.count("(worker process)") == 2
    assert "Executing notebook using" not in log, "myst-nb executed a notebook itself"
    assert log.count("Using cached notebook") == 2
    html = (root / "_build" / "html" / "one.html").read_text()
    assert f"one {root}\n" in html  # printed by the kernel, which ran in the notebook's folder
    records = get_cache(root / "_build" / ".jupyter_cache").list_cache_records()
    assert len(records) == 2 and all(r.data["execution_seconds"] > 0 for r in records)
    times = execute.remembered_seconds(root / "_build" / ".jupyter_cache")
    assert set(times) == {"one", "two"} and all(t > 0 for t in times.values())
    for name in ("one", "two"):  # the ".ipynb" download carries the outputs
        nb = nbformat.read(str(root / "_build" / "html" / "_sources" / f"{name}.ipynb"), 4)
        assert nb.cells[-1].outputs, name

    again = jb_build(root, 2)
    assert again.returncode == 0
    assert "worker process" not in again.stdout and "Executing notebook" not in again.stdout


#: Code of pages that fail: each notes every run of it in ``runs-NAME.txt``.
FAILING = {
    "bad": "(open('runs-bad.txt', 'a').write('run\\n'), 1 / 0)",
    "hang": "(open('runs-hang.txt', 'a').write('run\\n'), __import__('time').sleep(60))",
    "hog": "(open('runs-hog.txt', 'a').write('run\\n'), len(bytearray(4 * 2**30)))",
}


@pytest.mark.slow
@pytest.mark.claims  # the second tier: builds small books
def test_failing_notebooks_run_once_and_fail_the_build_with_mystnb_report(tmp_path):
    """A raising cell, a hanging cell and a runaway allocation: each notebook runs once
    (a hanging cell costs one timeout, not two), the build fails with myst-nb's report
    naming the page, and the allocation fails at once against the kernel's memory limit."""
    import time

    config = BOOK_CONFIG.replace("timeout: 60", "timeout: 8")
    root = mini_book(tmp_path, {"good": "'fine'", **FAILING}, config=config)
    start = time.perf_counter()
    proc = jb_build(root, 2)
    seconds = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0, "a failing notebook must fail the build"
    for name in FAILING:
        assert (root / f"runs-{name}.txt").read_text() == "run\n", (
            f"{name} ran more than once:\n{log[-3000:]}"
        )
        report = root / "_build" / "html" / "reports" / f"{name}.err.log"
        assert report.exists(), name
    assert "bad failed in a worker (ZeroDivisionError: division by zero)" in log, log[-3000:]
    assert "hang failed in a worker (CellTimeoutError" in log
    assert "hog failed in a worker (MemoryError" in log and "BOOK_KERNEL_MEMORY_MB" in log
    assert "Executing notebook failed: CellExecutionError" in log  # myst-nb's own report
    assert "Executing notebook failed: CellTimeoutError" in log
    # myst-nb asked for each to be executed, and got the worker's result instead
    assert log.count("without running it again") == 3
    assert "MemoryError" in (root / "_build" / "html" / "reports" / "hog.err.log").read_text()
    assert seconds < 120, f"the build took {seconds:.0f} s"


@pytest.mark.slow
@pytest.mark.claims  # the second tier: builds small books
def test_a_first_run_only_stderr_line_fails_one_build_not_every_later_one(tmp_path):
    """Cached with its stderr, the run would fail every build until `make clean`: the
    next build drops it from the cache, says so, and runs it again."""
    config = BOOK_CONFIG.replace(
        "  run_in_temp: false\n", "  run_in_temp: false\n  stderr_output: remove-warn\n"
    )
    # (book.site.freshness: after a failed build, the next one reads every page again)
    config = config.replace(
        "    - book.site.execute\n", "    - book.site.execute\n    - book.site.freshness\n"
    )
    first_run_only = (
        "__import__('sys').stderr.write('first run only\\n') "
        "if not __import__('os').path.exists('seen') and not open('seen', 'w').close() else 'ok'"
    )
    root = mini_book(tmp_path, {"noisy": first_run_only, "good": "'fine'"}, config=config)
    first = jb_build(root, 2)
    assert first.returncode != 0, "stderr on a page must fail the strict build"
    second = jb_build(root, 2)
    log = second.stdout + second.stderr
    assert second.returncode == 0, log[-3000:]
    assert "noisy: its cached run printed to stderr ('first run only')" in log, log[-3000:]
    assert "dropped from the execution cache, it runs again" in log
    assert "executed noisy" in log and "executed good" not in log


@pytest.mark.slow
@pytest.mark.claims  # the second tier: builds small books
def test_one_worker_leaves_execution_to_mystnb(tmp_path):
    root = mini_book(tmp_path, {"one": f"'one', {TRANSPORT}"})
    proc = jb_build(root, 1)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert_kernels_on_ipc(root, "one", proc.stdout + proc.stderr)
    assert "worker process" not in proc.stdout and "Executing notebook using" in proc.stdout
    # myst-nb's own run time is remembered too (for the order of a later parallel build)
    assert set(execute.remembered_seconds(root / "_build" / ".jupyter_cache")) == {"one"}
    nb = nbformat.read(str(root / "_build" / "html" / "_sources" / "one.ipynb"), 4)
    assert nb.cells[-1].outputs


def test_error_summary_names_the_exception_or_the_timeout():
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    err = CellExecutionError(
        "Traceback...\nZeroDivisionError: division by zero", "ZeroDivisionError", "division by zero"
    )
    assert execute.error_summary(err) == "ZeroDivisionError: division by zero"
    timeout = CellTimeoutError(
        "A cell timed out while it was being executed, after 300 seconds.\n-------------------\n"
    )
    assert execute.error_summary(timeout) == (
        "CellTimeoutError: A cell timed out while it was being executed, after 300 seconds."
    )
