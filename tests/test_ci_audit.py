"""Audited CI (issue 16) and the Binder pre-build after deployment (issue 13). Fast: no network.

- ``zizmor --offline`` finds nothing of medium or high severity in ``.github/``;
- every action is pinned to a full commit SHA with its release in a comment, and every
  checkout leaves no credentials behind;
- Dependabot's configuration is valid and brings one grouped pull request per ecosystem
  per week; the weekly workflow rebuilds from an empty cache and checks links;
- after each deployment from main, a job asks the BinderHub named in ``_config.yml`` to
  build the deployed commit, without ever failing the deployment.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
#: `uses: owner/repo@<40 hex> # vX.Y.Z`
PINNED = re.compile(
    r"^\s*(?:-\s*)?uses:\s*(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40})\s+#\s*v\d+\.\d+\.\d+\s*$"
)


def _steps(workflow: dict):
    for job_name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_name, step


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


# ------------------------------------------------------------------ the audit


def test_zizmor_finds_nothing_of_medium_or_high_severity():
    proc = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--format", "json", "--min-severity", "medium", str(GITHUB)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    findings = json.loads(proc.stdout or "null")
    assert isinstance(findings, list), proc.stdout + proc.stderr
    summary = [
        f"{f['ident']} ({f['determinations']['severity']}): {f['desc']}; "
        + "; ".join(
            f"{loc.get('symbolic', {}).get('annotation', '')} at "
            f"{loc.get('concrete', {}).get('feature', '').strip()!r}"
            for loc in f.get("locations", [])[:2]
        )
        for f in findings
    ]
    assert not findings, "zizmor findings:\n" + "\n".join(summary)


def test_zizmor_would_catch_an_unpinned_action(tmp_path):
    """The audit is live: a tag reference and a credential-keeping checkout are reported."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "name: bad\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n"
    )
    proc = subprocess.run(
        [
            str(BIN / "zizmor"),
            "--offline",
            "--format",
            "json",
            "--min-severity",
            "medium",
            str(tmp_path / ".github"),
        ],
        capture_output=True,
        text=True,
    )
    idents = {f["ident"] for f in json.loads(proc.stdout)}
    assert {"unpinned-uses", "artipacked"} <= idents, proc.stdout + proc.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_release(workflow):
    for line in workflow.read_text().splitlines():
        if re.match(r"^\s*(?:-\s*)?uses:", line):
            assert PINNED.match(line), (
                f"{workflow.name}: not pinned to a full SHA with '# vX.Y.Z': {line.strip()}"
            )


def test_the_same_action_has_the_same_pin_everywhere():
    pins: dict[str, set[str]] = {}
    for workflow in WORKFLOWS:
        for match in filter(None, map(PINNED.match, workflow.read_text().splitlines())):
            pins.setdefault(match["action"], set()).add(match.group(0).split("@", 1)[1].strip())
    assert pins, "no action found"
    assert {a: p for a, p in pins.items() if len(p) > 1} == {}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials(workflow):
    checkouts = [s for _, s in _steps(_load(workflow)) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts, f"{workflow.name} has no checkout"
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False, f"{workflow.name}: {step}"


# ------------------------------------------------------------------ Dependabot and the weekly run


def test_dependabot_config_is_valid():
    proc = subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.dependabot",
            str(GITHUB / "dependabot.yml"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dependabot_brings_one_grouped_pull_request_per_ecosystem_per_week():
    config = _load(GITHUB / "dependabot.yml")
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(updates) == {"pip", "npm", "github-actions"}
    for name, update in updates.items():
        assert update["directory"] == "/"
        assert update["schedule"]["interval"] == "weekly", name
        groups = update.get("groups", {})
        assert len(groups) == 1, f"{name}: one group, hence one pull request"
        assert next(iter(groups.values()))["patterns"] == ["*"], f"{name}: the group must take every update"
    # what each ecosystem updates exists
    assert (ROOT / "requirements.txt").exists() and (ROOT / "package-lock.json").exists() and WORKFLOWS


def test_weekly_workflow_rebuilds_from_an_empty_cache_and_checks_links():
    path = GITHUB / "workflows" / "weekly.yml"
    workflow = _load(path)
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as True
    assert "schedule" in triggers and triggers["schedule"][0]["cron"].endswith("1"), "weekly, on Mondays"
    steps = [s for _, s in _steps(workflow)]
    assert not any(s.get("uses", "").startswith("actions/cache@") for s in steps), (
        "the cache must start empty"
    )
    assert not any("cache" in s.get("with", {}) for s in steps), "no pip cache either"
    runs = "\n".join(s.get("run", "") for s in steps)
    assert runs.index("make clean") < runs.index("make book") < runs.index("--builder linkcheck")
    assert workflow["permissions"] == {"contents": "read"}
    # not part of make test: no test and no Makefile target runs linkcheck
    assert "linkcheck" not in (ROOT / "Makefile").read_text()


# ------------------------------------------------------------------ Binder pre-build (issue 13)


def _prebuild():
    spec = importlib.util.spec_from_file_location(
        "binder_prebuild", GITHUB / "scripts" / "binder_prebuild.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_deploy_is_followed_by_a_binder_build_that_cannot_fail_it():
    workflow = _load(GITHUB / "workflows" / "book.yml")
    job = workflow["jobs"]["binder"]
    assert job["needs"] == "deploy"
    assert job["if"] == workflow["jobs"]["deploy"]["if"], "only after a deployment from main"
    assert job["continue-on-error"] is True
    assert job["timeout-minutes"] >= 30
    assert job["permissions"] == {"contents": "read"}
    (step,) = [s for s in job["steps"] if "binder_prebuild.py" in s.get("run", "")]
    assert step["continue-on-error"] is True
    assert "--config _config.yml" in step["run"] and '"$GITHUB_SHA"' in step["run"]
    assert "--timeout 1800" in step["run"]
    assert "${{" not in step["run"], "no template expansion inside a shell script"


def test_the_build_url_comes_from_config_yml():
    module = _prebuild()
    config = _load(ROOT / "_config.yml")
    sha = "0123456789abcdef0123456789abcdef01234567"
    owner_repo = config["repository"]["url"].removeprefix("https://github.com/").rstrip("/")
    expected = f"{config['launch_buttons']['binderhub_url'].rstrip('/')}/build/gh/{owner_repo}/{sha}"
    assert module.build_url(module._read_config(ROOT / "_config.yml"), sha) == expected
    # another BinderHub and a fork: one place to change
    fork = {
        "launch_buttons": {"binderhub_url": "https://binder.example.edu/"},
        "repository": {"url": "https://github.com/someone/lstm-fork.git"},
    }
    assert module.build_url(fork, sha) == f"https://binder.example.edu/build/gh/someone/lstm-fork/{sha}"


def test_the_fallback_reader_agrees_with_yaml_on_config_yml():
    """Without PyYAML on the runner, the script reads the same two values."""
    module = _prebuild()
    config = _load(ROOT / "_config.yml")
    real_import = __import__

    def no_yaml(name, *args, **kwargs):
        if name == "yaml":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    import builtins

    builtins.__import__ = no_yaml
    try:
        fallback = module._read_config(ROOT / "_config.yml")
    finally:
        builtins.__import__ = real_import
    assert fallback["launch_buttons"]["binderhub_url"] == config["launch_buttons"]["binderhub_url"]
    assert fallback["repository"]["url"] == config["repository"]["url"]


@pytest.mark.parametrize(
    "config, commit, words",
    [
        (
            {
                "launch_buttons": {"binderhub_url": "http://mybinder.org"},
                "repository": {"url": "https://github.com/a/b"},
            },
            "0" * 40,
            "https://",
        ),
        (
            {
                "launch_buttons": {"binderhub_url": "https://mybinder.org"},
                "repository": {"url": "https://gitlab.com/a/b"},
            },
            "0" * 40,
            "github.com/OWNER/REPO",
        ),
        (
            {
                "launch_buttons": {"binderhub_url": "https://mybinder.org"},
                "repository": {"url": "https://github.com/a/b"},
            },
            "main; rm -rf /",
            "not a commit SHA",
        ),
    ],
)
def test_a_bad_configuration_is_refused_with_a_message(config, commit, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        _prebuild().build_url(config, commit)


def _events(*phases):
    return [":heartbeat\n"] + [f'data: {{"phase": "{p}", "message": "{p}..."}}\n' for p in phases]


def test_watch_reads_the_event_stream_until_ready_or_failed():
    watch, log = _prebuild().watch, []
    assert (
        watch(
            _events("waiting", "building", "built", "launching", "ready", "never"), 10, lambda: 0, log.append
        )
        == "ready"
    )
    assert log[-1].startswith("ready")
    assert watch(_events("building", "failed"), 10, lambda: 0, log.append) == "failed"
    assert watch(_events("building"), 10, lambda: 0, log.append) == "closed"
    assert watch(["data: not json\n", *_events("building", "ready")], 10, lambda: 0, log.append) == "ready"
    clock = iter(range(100)).__next__
    assert watch(_events("building", "building", "building", "ready"), 1.5, clock, log.append) == "timeout"


def test_an_unreachable_binderhub_exits_1_without_raising(monkeypatch, capsys):
    module = _prebuild()

    def refuse(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(module.urllib.request, "urlopen", refuse)
    code = module.main(["--config", str(ROOT / "_config.yml"), "--commit", "a" * 40, "--timeout", "5"])
    assert code == 1
    assert "did not answer: connection refused" in capsys.readouterr().err


# ------------------------------------------------------------------ Node.js (issue 27)


def _version(text: str) -> tuple[int, int, int]:
    parts = [int(p) for p in re.findall(r"\d+", text)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def satisfies(version: str, node_range: str) -> bool:
    """``version`` (``"24"``, ``"v20.20.2"``) is in an npm range made of ``||`` alternatives of
    space-separated ``>=``, ``>``, ``<=``, ``<``, ``=`` comparators (what package.json uses)."""
    v = _version(version)
    compare = {
        ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        "<": lambda a, b: a < b,
        "=": lambda a, b: a == b,
    }
    for alternative in node_range.split("||"):
        comparators = re.findall(r"(>=|<=|>|<|=)?\s*v?(\d+(?:\.\d+){0,2})", alternative)
        assert comparators, f"cannot read the range {node_range!r}"
        if all(compare[op or "="](v, _version(bound)) for op, bound in comparators):
            return True
    return False


def test_satisfies_reads_npm_ranges():
    assert satisfies("v20.20.2", ">=20 <25") and satisfies("24", ">=20 <25")
    assert not satisfies("18.19.0", ">=20 <25") and not satisfies("25.0.0", ">=20 <25")
    assert satisfies("22.1.0", "<21 || >=22")


def test_workflows_use_the_current_lts_and_package_json_declares_the_supported_range():
    """Node.js 24 (the current LTS) in every workflow; package.json's ``engines`` covers it
    and the Node.js 20 of the machine the project is developed on (make test runs there)."""
    node_range = json.loads((ROOT / "package.json").read_text())["engines"]["node"]
    lock_root = json.loads((ROOT / "package-lock.json").read_text())["packages"][""]
    assert lock_root.get("engines", {}).get("node") == node_range, "package-lock.json out of step"
    versions = [
        str(step["with"]["node-version"])
        for workflow in WORKFLOWS
        for _, step in _steps(_load(workflow))
        if step.get("uses", "").startswith("actions/setup-node@")
    ]
    assert versions and set(versions) == {"24"}, versions
    assert satisfies("24", node_range) and satisfies("20", node_range)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True)
    if node.returncode == 0:
        assert satisfies(node.stdout.strip(), node_range), f"this machine's {node.stdout.strip()}"


def test_pull_requests_run_make_test_with_debian_chromium_and_the_execution_cache():
    workflow = _load(GITHUB / "workflows" / "book.yml")
    triggers = workflow[True] if True in workflow else workflow["on"]
    assert "pull_request" in triggers
    job = workflow["jobs"]["make-test"]
    assert job["if"] == "github.event_name == 'pull_request'"
    assert job["container"]["image"].startswith("debian:12")
    assert job["env"]["CHROME_PATH"] == "/usr/bin/chromium"
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert re.search(r"apt-get install[^\n]*(\\\n[^\n]*)*\bchromium\b", runs), "Debian's chromium from apt"
    assert re.search(r"^\s*make test\s*$", runs, re.M), "the README's command, nothing else"
    (restore,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/cache@")]
    (build_restore,) = [
        s for s in workflow["jobs"]["build"]["steps"] if s.get("uses", "").startswith("actions/cache@")
    ]
    assert restore["with"] == build_restore["with"], "the execution cache as the build job restores it"
