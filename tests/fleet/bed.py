"""The fleet test bed (extensions/molecule/tooling/fleet.sh): fresh hosts over SSH, and what the tests need to use them.

The hosts are containers of the private test dockerd, but Ansible reaches them only over SSH, by their own
addresses; the tests look inside them with `docker exec` (their process table, files and firewall)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
FLEET_SCRIPT = PROJECT_DIR / "extensions" / "molecule" / "tooling" / "fleet.sh"
RUN_DIR = Path(os.environ.get("RAYBOOK_TEST_RUN", "/run/raybook-test"))
BED_DIR = Path(os.environ.get("RAYBOOK_FLEET_DIR", "/var/lib/raybook-test/fleet"))
DOCKER_ENV = {**os.environ, "DOCKER_HOST": "unix://%s/docker.sock" % RUN_DIR, "RAYBOOK_FLEET_DIR": str(BED_DIR)}
RAY_HOSTS = ("head", "worker1", "worker2")
SSH_OPTIONS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -o LogLevel=ERROR"


def missing_tools():
    """Why the bed cannot be built here (None when it can): it needs root, dockerd, debootstrap and ssh."""
    if os.geteuid() != 0:
        return "the fleet bed needs root (a private dockerd)"
    absent = [tool for tool in ("dockerd", "debootstrap", "ssh", "ssh-keygen") if not shutil.which(tool)]
    return "missing %s (apt-get install docker.io debootstrap openssh-client)" % ", ".join(absent) if absent else None


class Bed:
    """The running bed: host addresses, the key, the mirror and the shared folder, as fleet.sh wrote them."""

    def __init__(self, description):
        self.hosts = description["hosts"]
        self.containers = description["containers"]
        self.key = description["key"]
        self.mirror_url = description["mirror_url"]
        self.shared_path = description["shared_path"]
        self.shared_host_dir = Path(description["shared_host_dir"])
        self.token_file = BED_DIR / "auth_token"
        self.results_dir = BED_DIR / "results"

    @classmethod
    def up(cls):
        subprocess.run([str(FLEET_SCRIPT), "up"], env=DOCKER_ENV, check=True, timeout=1800)
        return cls(json.loads((BED_DIR / "bed.json").read_text()))

    @staticmethod
    def down():
        subprocess.run([str(FLEET_SCRIPT), "down"], env=DOCKER_ENV, check=False, timeout=300)

    def docker(self, *args, check=True, timeout=120):
        return subprocess.run(["docker", *args], env=DOCKER_ENV, capture_output=True, text=True, check=check, timeout=timeout)

    def sh(self, host, command, check=True):
        """Run a shell command inside a host (the test's own look, not Ansible's way in); return the completed process."""
        return self.docker("exec", self.containers[host], "sh", "-c", command, check=check)

    def host_vars(self, host, **overrides):
        """A Ray host's variables: reached over SSH with the bed's key, Ray from the bed's mirror (every file checked
        against the project's lock), the shared folder."""
        values = {
            "ansible_host": self.hosts[host],
            "ansible_user": "root",
            "ansible_ssh_private_key_file": self.key,
            "ansible_ssh_common_args": SSH_OPTIONS,
            "ansible_python_interpreter": "/usr/bin/python3",
            "ray_node_ip": self.hosts[host],
            "raybook_mirror_url": self.mirror_url,
            "ray_node_pip_require_hashes": True,
            "raybook_storage_path": self.shared_path,
            "raybook_auth_token_file": str(self.token_file),
            "raybook_results_dir": str(self.results_dir),
            "ray_node_object_store_memory": 300_000_000,
        }
        if host == "head":
            # The head only coordinates: training workers, inference actors and Serve replicas go to the workers.
            values["ray_node_num_cpus"] = 0
        values.update(overrides)
        return values

    def write_inventory(self, folder, workers=("worker1", "worker2"), **overrides_by_host):
        """Write an inventory (with the project's group_vars beside it) for the head and the named workers.

        overrides_by_host maps a host name to variables to change; a worker may be any bed host (the outsider too)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        group_vars = folder / "group_vars"
        if not group_vars.exists():
            group_vars.symlink_to(PROJECT_DIR / "inventory" / "group_vars")
        inventory = {"all": {"children": {
            "ray_head": {"hosts": {"head": self.host_vars("head", **overrides_by_host.get("head", {}))}},
            "ray_workers": {"hosts": {name: self.host_vars(name, **overrides_by_host.get(name, {})) for name in workers}},
            "gpu_nodes": {"hosts": {}},
            "kind_hosts": {"hosts": {}},
        }}}
        path = folder / "hosts.yml"
        path.write_text(yaml.safe_dump(inventory, sort_keys=False))
        return path

    def wait_for_ssh(self, host, attempts=60):
        for _unused in range(attempts):
            probe = subprocess.run(
                ["ssh", "-i", self.key, *SSH_OPTIONS.split(), "-o", "BatchMode=yes", "root@" + self.hosts[host], "true"],
                check=False, capture_output=True, timeout=30,
            )
            if probe.returncode == 0:
                return
        raise AssertionError("no SSH answer from %s" % host)

    def listening_tcp_ports(self, host):
        """Every TCP port `host` listens on off loopback, as `ss` lists them (not a list of Ray's ports)."""
        ports = set()
        for line in self.sh(host, "ss -Hltn").stdout.splitlines():
            address, _sep, port = line.split()[3].rpartition(":")
            if not (address.startswith("127.") or address == "[::1]"):
                ports.add(int(port))
        return sorted(ports)

    def reachable_ports(self, source, targets):
        """From inside `source`, which of the (address, port) targets accept a TCP connection (2 s each, all at once)."""
        script = (
            "import json, socket, sys\n"
            "from concurrent.futures import ThreadPoolExecutor\n"
            "def reaches(target):\n"
            "    try:\n"
            "        socket.create_connection(tuple(target), timeout=2).close()\n"
            "        return True\n"
            "    except OSError:\n"
            "        return False\n"
            "targets = json.loads(sys.argv[1])\n"
            "with ThreadPoolExecutor(64) as pool:\n"
            "    answers = list(pool.map(reaches, targets))\n"
            "print(json.dumps([target for target, reached in zip(targets, answers) if reached]))\n"
        )
        completed = self.docker("exec", self.containers[source], "python3", "-c", script, json.dumps(targets), timeout=600)
        return [tuple(target) for target in json.loads(completed.stdout)]
