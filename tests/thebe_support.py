"""Helpers of the Live Code tests: the page's Thebe configuration, a local Jupyter
server, and the thebe library served to the browser from the npm package.

Why a stand-in for unpkg and Binder: the published pages load thebe 0.8.2 from
unpkg (the URL is hard-coded in sphinx-thebe 0.3.1) and ask mybinder.org for a
kernel. The tests reach neither: they answer the unpkg requests from the thebe
npm package (the registry reachable here has 0.9.x only, so 0.9.3) and point
Thebe at a Jupyter server started on 127.0.0.1, in the environment the book is
built with (the one ``requirements.txt`` describes, which Binder installs too).

:data:`THEBE_SHIM` bridges the few differences between thebe 0.8.2 (what the
pages get) and 0.9.3 (what the tests serve), so that sphinx-thebe's own page
code runs unchanged:

- 0.9 reads ``kernelOptions.kernelName`` (0.8: ``name``) and forces Binder when
  ``bootstrap()`` gets no options: the shim passes ``useBinder: false``, the
  local server's settings, and the page's own ``kernelOptions.path``;
- 0.8 pairs a cell with the output right after it; 0.9 pairs the n-th cell with
  the n-th output on the page: the shim gives each output-less cell an empty
  output so that both rules agree;
- 0.8 fires one ``status: ready`` event when the kernel is up, which is when
  sphinx-thebe clicks the ``.thebelab-run-button`` of the ``thebe-init`` cells;
  0.9 fires ``ready`` on every idle/busy change (sphinx-thebe would re-run the
  setup cells forever) and names the button ``.thebe-run-button``: the shim
  forwards one ``ready`` once the kernel is attached, and gives 0.9's run
  buttons the 0.8 class as well;
- 0.9 ships its CSS separately (0.8 bundled it): the shim links it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

#: The thebe release that the tests serve in place of unpkg's 0.8.2.
THEBE_TEST_VERSION = "0.9.3"
#: What sphinx-thebe 0.3.1 puts in every page (``THEBE_JS_URL``).
PUBLISHED_THEBE_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"

_CONFIG_RE = re.compile(r'<script type="text/x-thebe-config">(?P<body>.*?)</script>', re.DOTALL)


def parse_js_object(text: str) -> dict:
    """Parse the JavaScript object literal that sphinx-thebe writes (JSON5-like)."""
    body = text.strip()
    body = re.sub(r"(?m)^(\s*)([A-Za-z_]\w*)\s*:", r'\1"\2":', body)  # bare keys
    body = re.sub(r",(\s*[}\]])", r"\1", body)  # trailing commas
    return json.loads(body)


def thebe_configs(html: str) -> list[dict]:
    """Every ``<script type="text/x-thebe-config">`` of a page, parsed."""
    return [parse_js_object(m.group("body")) for m in _CONFIG_RE.finditer(html)]


def thebe_js_url(html: str) -> str | None:
    match = re.search(r'const THEBE_JS_URL = "([^"]+)"', html)
    return match.group(1) if match else None


# --------------------------------------------------------------------------- thebe


def thebe_package(cache_dir: Path, version: str = THEBE_TEST_VERSION) -> Path:
    """The ``package/`` folder of thebe ``version``, fetched once with ``npm pack``.

    Kept in ``cache_dir`` (under ``_build/``, never committed) between runs.
    """
    target = cache_dir / f"thebe-{version}"
    package = target / "package"
    if (package / "lib" / "index.js").exists():
        return package
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is missing: the Live Code test fetches thebe with `npm pack`")
    tmp = cache_dir / f".thebe-{version}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    proc = subprocess.run(
        [npm, "pack", f"thebe@{version}", "--silent", "--pack-destination", str(tmp)],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=300,
    )
    tarballs = list(tmp.glob("thebe-*.tgz"))
    if proc.returncode != 0 or not tarballs:
        raise RuntimeError(f"npm pack thebe@{version} failed:\n{proc.stdout}\n{proc.stderr}")
    with tarfile.open(tarballs[0]) as tar:
        try:
            tar.extractall(tmp, filter="data")
        except TypeError:  # Python before 3.11.4: no extraction filters
            tar.extractall(tmp)
    tarballs[0].unlink()
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return package


_CONTENT_TYPES = {".js": "application/javascript", ".css": "text/css", ".map": "application/json"}


def unpkg_handler(package: Path, served: list[str]):
    """A Playwright route handler answering ``https://unpkg.com/thebe@*/lib/<file>``
    from ``package/lib`` (the bundle's chunks and its CSS included)."""
    lib = package / "lib"

    def handle(route):
        url = route.request.url
        name = urlparse(url).path.rsplit("/", 1)[-1]
        path = lib / name
        if re.match(r"^/thebe@[^/]+/lib/[^/]+$", urlparse(url).path) and path.is_file():
            served.append(url)
            route.fulfill(
                status=200,
                body=path.read_bytes(),
                headers={
                    "content-type": _CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
                    "access-control-allow-origin": "*",
                },
            )
        else:
            route.fulfill(status=404, body=f"not in thebe package: {url}")

    return handle


# -------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    """A Jupyter server on 127.0.0.1, started with this Python (the book's environment)."""

    def __init__(self, root_dir: Path, runtime_dir: Path, log_file: Path):
        self.root_dir = root_dir
        self.runtime_dir = runtime_dir
        self.log_file = log_file
        self.port = free_port()
        self.token = os.urandom(16).hex()
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 60) -> None:
        self.runtime_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["JUPYTER_RUNTIME_DIR"] = str(self.runtime_dir)
        env.pop("MPLBACKEND", None)  # the kernel's default (inline), as in the build and on Binder
        cmd = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.allow_origin=*",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.open_browser=False",
            "--ServerApp.terminals_enabled=False",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI and these machines run as root
            cmd.append("--allow-root")
        self._log = open(self.log_file, "w")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter server exited:\n{self.log_file.read_text()}")
            try:
                req = urllib.request.Request(
                    self.base_url + "api/status",
                    headers={"Authorization": f"token {self.token}"},
                )
                with urllib.request.urlopen(req, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"jupyter server did not answer in {timeout} s:\n{self.log_file.read_text()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: the server shuts its kernels down
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_log", None):
            self._log.close()

    @property
    def settings(self) -> dict:
        """Thebe ``serverSettings`` for this server."""
        return {
            "baseUrl": self.base_url,
            "wsUrl": self.ws_url,
            "token": self.token,
            "appendToken": True,
        }


@contextmanager
def jupyter_server(root_dir: Path, work_dir: Path):
    server = JupyterServer(root_dir, work_dir / "runtime", work_dir / "jupyter-server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------- the pages' policy

_POLICY = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')


@contextmanager
def page_for_local_kernel(html_dir: Path, docname: str, server: JupyterServer, binderhub_url: str):
    """A copy of a built page whose Content-Security-Policy lets Live Code reach ``server``
    in place of the BinderHub; yields its path relative to ``html_dir``.

    The published policy allows the kernel's connections to ``launch_buttons.binderhub_url``
    and its subdomains only (book/site/csp.py); the tests start the kernel on 127.0.0.1
    instead, so those hosts (and only they) are swapped for the local server's. The copy
    sits beside the page and is served by the same local server (a page that the test
    answered itself would count as "public" for Chromium's local-network checks).
    """
    from book.site.csp import kernel_sources

    original = html_dir / f"{docname}.html"
    text = original.read_text(encoding="utf-8")
    policy = _POLICY.search(text).group(1)
    hosts = " ".join(kernel_sources(binderhub_url))
    if hosts not in policy:
        raise AssertionError(f"the policy of {docname} does not name the BinderHub's hosts ({hosts})")
    local = server.base_url.rstrip("/")
    copy = original.with_name(f"{original.stem}-local-kernel.html")
    copy.write_text(
        text.replace(policy, policy.replace(hosts, f"{local} {local.replace('http://', 'ws://')}"))
    )
    try:
        yield copy.relative_to(html_dir).as_posix()
    finally:
        copy.unlink(missing_ok=True)


# ---------------------------------------------------------------------------- shim

THEBE_SHIM = r"""
(() => {
  const settings = __SETTINGS__;
  const T = (window.__thebeTest = { options: null, readyCallbacks: [], statuses: [], error: null });
  let current;
  Object.defineProperty(window, "thebelab", {
    configurable: true,
    get() { return current; },
    set(lib) { current = lib; if (lib && !lib.__testShim) patch(lib); },
  });

  function patch(lib) {
    lib.__testShim = true;
    const on = lib.on.bind(lib);
    lib.on = (event, cb) => {
      if (event !== "status") return on(event, cb);
      T.readyCallbacks.push(cb);
      return on("status", (evt, data) => {
        T.statuses.push(data && data.status);
        if (data && data.status === "ready") return;  // sent once, below, as 0.8 does
        cb(evt, data);
      });
    };
    const bootstrap = lib.bootstrap.bind(lib);
    lib.bootstrap = async (opts) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = THEBE_JS_URL.replace(/index\.js$/, "thebe.css");
      document.head.appendChild(css);
      document.querySelectorAll("[data-executable]").forEach((el) => {
        const next = el.nextElementSibling;
        if (!next || !next.hasAttribute("data-output")) {
          const out = document.createElement("div");
          out.setAttribute("data-output", "");
          el.insertAdjacentElement("afterend", out);
        }
      });
      const page = lib.getPageConfig();
      const kernel = page.kernelOptions || {};
      const options = Object.assign({}, opts || {}, {
        useBinder: false,
        requestKernel: true,
        serverSettings: settings,
        kernelOptions: {
          kernelName: kernel.name,
          name: kernel.name,
          path: kernel.path,
        },
      });
      T.options = JSON.parse(JSON.stringify(options));
      try {
        const result = await bootstrap(options);
        document.querySelectorAll(".thebe-run-button").forEach((b) => b.classList.add("thebelab-run-button"));
        T.readyCallbacks.forEach((cb) => cb("status", { status: "ready", message: "Kernel is ready" }));
        T.kernelReady = true;
        return result;
      } catch (err) {
        T.error = String(err && err.message ? err.message : err);
        throw err;
      }
    };
  }
})();
"""


def thebe_shim(server: JupyterServer) -> str:
    return THEBE_SHIM.replace("__SETTINGS__", json.dumps(server.settings))
