"""The nodes' lock (requirements-node.txt, `make lock`) and ray_node's install from it with pip --require-hashes:
the lock's arithmetic on made-up files, that the committed lock pins what the inventory pins now, and real
ansible-playbook runs of the role's locked install into a fresh venv from a local wheelhouse (a one-module wheel
made by the test), once with the true file, once with a tampered one."""

import hashlib
import json
import pathlib
import re
import subprocess
import sys
import zipfile

import pytest

from raybook import node_lock

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent


def test_the_lock_names_each_file_with_its_version_and_sha256(tmp_path):
    files = []
    for name, content in (("ray-2.60.0-cp311-cp311-manylinux2014_x86_64.whl", b"ray"),
                          ("Typing_Extensions-4.16.0-py3-none-any.whl", b"typing"),
                          ("torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl", b"torch"),
                          ("colorful-0.5.8.tar.gz", b"sdist")):
        (tmp_path / name).write_bytes(content)
        files.append(tmp_path / name)
    text = node_lock.lock_text(["ray[default,serve]==2.60.0", "torch==2.13.0"], files, "3.11.7", "linux-x86_64")
    assert node_lock.pinned_set_of(text) == ["ray[default,serve]==2.60.0", "torch==2.13.0"]
    entries = re.findall(r"^(\S+) \\\n    --hash=sha256:([0-9a-f]{64})$", text, re.M)
    assert entries == [
        ("colorful==0.5.8", hashlib.sha256(b"sdist").hexdigest()),
        ("ray[default,serve]==2.60.0", hashlib.sha256(b"ray").hexdigest()),
        ("torch==2.13.0+cpu", hashlib.sha256(b"torch").hexdigest()),
        ("typing-extensions==4.16.0", hashlib.sha256(b"typing").hexdigest()),
    ]
    assert "# python: 3.11.7  platform: linux-x86_64" in text


def test_the_committed_lock_pins_what_the_inventory_pins_now():
    """Fails when ray_version or ray_node_pip_packages change without `make lock`."""
    text = node_lock.LOCK_FILE.read_text()
    assert node_lock.pinned_set_of(text) == node_lock.pinned_set(), "requirements-node.txt is stale: run make lock"
    entries = re.findall(r"^(\S+)==(\S+) \\\n    --hash=sha256:[0-9a-f]{64}$", text, re.M)
    assert len(entries) == text.count("--hash=") == len({name for name, _unused in entries}) > 10
    versions = dict(entries)
    assert versions["ray[default,serve,train,data]"] == node_lock.pinned_set()[0].split("==")[1]


def make_wheel(folder, version="1.0", body="VALUE = 1\n"):
    """A one-module pure-Python wheel, raybook-probe."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"raybook_probe-{version}-py3-none-any.whl"
    info = f"raybook_probe-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("raybook_probe.py", body)
        wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: raybook-probe\nVersion: {version}\n")
        wheel.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: raybook-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        wheel.writestr(f"{info}/RECORD", f"raybook_probe.py,,\n{info}/METADATA,,\n{info}/WHEEL,,\n{info}/RECORD,,\n")
    return path


def install(tmp_path, venv, lock, *pinned):
    """The role's locked install into venv; (rc, the failed task's message or '', changed count)."""
    extra = {"ray_node_pinned_set": list(pinned) or ["raybook-probe==1.0"], "ray_node_venv": str(venv),
             "ray_node_venv_python": sys.executable, "ray_node_pip_find_links": str(tmp_path / "wheels"),
             "ray_node_pip_lock_file": str(lock)}
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "tests/playbooks/node_lock.yml", "-i", "inventory/local.yml", "-e", json.dumps(extra)],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
             "PATH": f"{BIN}:/usr/bin:/bin", "PIP_CONFIG_FILE": "/dev/null"},
    )
    report = json.loads(result.stdout)
    failures = [task["hosts"]["localhost"] for play in report["plays"] for task in play["tasks"]
                if task["hosts"].get("localhost", {}).get("failed")]
    message = failures[-1].get("msg", "") if failures else ""
    return result.returncode, message, report["stats"]["localhost"]["changed"]


@pytest.fixture
def lock(tmp_path):
    wheel = make_wheel(tmp_path / "wheels")
    path = tmp_path / "requirements-node.txt"
    path.write_text("raybook-probe==1.0 \\\n    --hash=sha256:%s\n" % hashlib.sha256(wheel.read_bytes()).hexdigest())
    return path


def test_a_tampered_file_is_refused_in_one_line(tmp_path, lock):
    make_wheel(tmp_path / "wheels", body="import os\nos.system('curl evil')\n")  # same name and version, other bytes
    venv = tmp_path / "opt" / "venv"
    rc, message, _unused = install(tmp_path, venv, lock)
    assert rc != 0
    assert message == ("ray_node_pip_lock_file: raybook-probe==1.0 does not match its sha256 in the lock (a changed or "
                       "tampered file; make lock if the pin changed on purpose)")
    assert not (venv / "lib").exists() or not list(venv.glob("lib/python*/site-packages/raybook_probe.py"))


def test_the_locked_set_installs_once_then_changes_nothing(tmp_path, lock):
    venv = tmp_path / "opt" / "venv"
    rc, message, changed = install(tmp_path, venv, lock)
    assert (rc, changed) == (0, 3), message  # the folder, the lock's copy and the install
    assert subprocess.run([venv / "bin" / "python", "-c", "import raybook_probe; print(raybook_probe.VALUE)"],
                          check=False, capture_output=True, text=True).stdout == "1\n"
    assert (venv.parent / "requirements-node.txt").read_text() == lock.read_text()
    rc, message, changed = install(tmp_path, venv, lock)
    assert (rc, changed) == (0, 0), message


def test_a_lock_that_does_not_pin_the_set_is_refused_before_anything_is_copied(tmp_path, lock):
    venv = tmp_path / "opt" / "venv"
    rc, message, _unused = install(tmp_path, venv, lock, "raybook-probe==2.0")
    assert rc != 0
    assert message == (f"ray_node_pip_lock_file: {lock} does not pin raybook-probe==2.0 (expected a lock of the node's "
                       "pinned set with hashes: run make lock)")
    assert not venv.parent.exists()
