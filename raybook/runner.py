"""Runs the project's playbooks and modules through ansible-runner and collects what happened."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import ansible_runner

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_INVENTORY = PROJECT_DIR / "inventory" / "local.yml"
STAT_KEYS = {"ok": "ok", "changed": "changed", "failures": "failed", "dark": "unreachable", "skipped": "skipped"}
FAILURE_EVENTS = ("runner_on_failed", "runner_on_unreachable")
# ansible-runner's folder of each CLI call (its events, stdout and the command line), the last few kept.
RUNS_DIR = PROJECT_DIR / ".raybook" / "runs"
RUNS_KEPT = 10


@dataclass
class Outcome:
    """What one ansible-runner call did: its status, per-host counts, failures and module results."""

    name: str
    status: str = "successful"
    rc: int = 0
    hosts: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    results: list = field(default_factory=list)
    artifacts: str = ""

    @property
    def ok(self):
        return self.status == "successful" and self.rc == 0 and not self.failures

    def as_dict(self):
        return dict(name=self.name, status=self.status, rc=self.rc, hosts=self.hosts, failures=self.failures,
                    artifacts=self.artifacts)


def host_counts(stats):
    """Turn ansible-runner's stats ({'ok': {host: n}, 'dark': ...}) into {host: {'ok': n, 'unreachable': ...}}."""
    hosts = {}
    for runner_key, name in STAT_KEYS.items():
        for host, count in (stats or {}).get(runner_key, {}).items():
            hosts.setdefault(host, dict.fromkeys(STAT_KEYS.values(), 0))[name] = count
    for host in (stats or {}).get("processed", {}):
        hosts.setdefault(host, dict.fromkeys(STAT_KEYS.values(), 0))
    return dict(sorted(hosts.items()))


def failure_line(event_data):
    """One line for a failed or unreachable host: host, task and the first line of its message."""
    result = event_data.get("res") or {}
    message = str(result.get("msg") or result.get("stderr") or result.get("reason") or "failed").strip()
    lines = message.splitlines() or ["failed"]
    # Ansible's own argument validation says "Validation of arguments failed:" and names the field on the next line.
    first = " ".join(lines[:2]) if lines[0].endswith(":") and len(lines) > 1 else lines[0]
    return dict(host=event_data.get("host"), task=event_data.get("task"), msg=first, detail=message)


def unrescued(failures, hosts):
    """The failures that stopped a host. A block's rescue turns earlier failures into recovered errors, which the
    play's counts leave out: each host keeps only as many of its last failures as its failed + unreachable count."""
    kept = []
    for host in dict.fromkeys(failure["host"] for failure in failures):
        mine = [failure for failure in failures if failure["host"] == host]
        count = hosts[host]["failed"] + hosts[host]["unreachable"] if host in hosts else len(mine)
        kept += mine[len(mine) - count:] if count else []
    return kept


class Collector:
    """The event handler: feeds the progress display and keeps failures and module results."""

    def __init__(self, outcome, progress):
        self.outcome = outcome
        self.progress = progress
        self.item_failures = {}

    def __call__(self, event):
        kind = event.get("event")
        data = event.get("event_data") or {}
        if kind == "playbook_on_task_start":
            self.progress.task(data.get("task") or data.get("name") or "")
        elif kind == "runner_item_on_failed":
            # A loop's own failure only says "One or more items failed": keep the item's words for it.
            self.item_failures[(data.get("host"), data.get("task"))] = failure_line(data)
        elif kind in FAILURE_EVENTS and not data.get("ignore_errors"):
            failure = self.item_failures.pop((data.get("host"), data.get("task")), None) or failure_line(data)
            self.outcome.failures.append(failure)
        elif kind == "runner_on_ok":
            self.outcome.results.append(dict(host=data.get("host"), task=data.get("task"), res=data.get("res") or {}))
        return True


def runner_env():
    """Environment for ansible: this project's config and venv, and no Ray usage reports."""
    venv_bin = str(Path(sys.executable).parent)
    return {
        "ANSIBLE_CONFIG": str(PROJECT_DIR / "ansible.cfg"),
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
        "RAY_USAGE_STATS_ENABLED": "0",
    }


def runner_folder(name, runs_dir=RUNS_DIR, kept=RUNS_KEPT):
    """A new folder for one ansible-runner call under runs_dir (private: 0700), the oldest beyond `kept` removed."""
    runs_dir.parent.mkdir(mode=0o700, exist_ok=True)  # .raybook also holds the cluster's token
    runs_dir.mkdir(mode=0o700, exist_ok=True)
    for old in sorted(path for path in runs_dir.iterdir() if path.is_dir())[:-kept + 1 or None]:
        shutil.rmtree(old, ignore_errors=True)
    # Microseconds in the name: unique, and the names sort in the order the runs were made.
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S.%f")
    folder = runs_dir / ("%s-%s" % (stamp, re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(name).stem)))
    folder.mkdir(mode=0o700)
    return folder


def run(name, inventory, progress, **runner_args):
    """Run ansible-runner on a playbook and return its Outcome; its artifacts stay in
    .raybook/runs/ (the last few calls)."""
    outcome = Outcome(name=name)
    progress.start(name)
    private_dir = runner_folder(name)
    outcome.artifacts = str(private_dir)
    result = ansible_runner.run(
        private_data_dir=str(private_dir),
        project_dir=str(PROJECT_DIR),
        inventory=str(inventory),
        envvars=runner_env(),
        event_handler=Collector(outcome, progress),
        quiet=True,
        **runner_args,
    )
    outcome.status, outcome.rc = result.status, result.rc
    outcome.hosts = host_counts(result.stats)
    outcome.failures = unrescued(outcome.failures, outcome.hosts)
    if not outcome.ok and not outcome.failures:
        # ansible-playbook stopped before any task (a syntax error, a bad inventory): its own words.
        text = result.stdout.read().strip().splitlines()
        outcome.failures.append(dict(host=None, task=None, msg=text[-1] if text else result.status, detail="\n".join(text)))
    for failure in outcome.failures:
        progress.failure(failure)
    progress.done()
    return outcome


def run_playbook(playbook, inventory, progress, extravars=None, check=False):
    """Run a playbook of this project; with check, in Ansible's check mode (--check --diff): nothing changes."""
    options = {"cmdline": "--check --diff"} if check else {}
    return run(playbook, inventory, progress, playbook=str(PROJECT_DIR / playbook), extravars=extravars or {}, **options)
