"""`make sanity`: ansible-test sanity as Galaxy and a collection's users run it, on the built tarball installed as
ansible_collections/raybook/ray, then on the whole repository laid out the same way; then ansible-test units on the
plugins' unit tests (tests/unit/plugins/) in that layout.

ansible-test wants the collection really there (not behind a link), and it bootstraps pip in its test venvs with a
script it downloads from ci-files.testing.ansible.com, which cannot be reached here: its own HOME (.ansible/sanity-home,
where it also keeps the test venvs it makes, from PyPI, between runs) holds a stand-in in its cache (ensurepip, then
pip installs the pinned pip). Exits with ansible-test's status.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GET_PIP_STAND_IN = '''import subprocess, sys
options = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + options)
'''


def run(command, check=False, **kwargs):
    print("+", " ".join(map(str, command)), flush=True)
    return subprocess.run(command, check=check, **kwargs).returncode


def built_collection(root, env):
    """The tarball `ansible-galaxy collection build` makes, installed under root (from there: this project's
    ansible.cfg would find the collection already installed through its collections/ link)."""
    run([BIN / "ansible-galaxy", "collection", "build", "--output-path", root, PROJECT], check=True, cwd=root, env=env,
        stdout=subprocess.DEVNULL)
    [tarball] = Path(root).glob("raybook-ray-*.tar.gz")
    run([BIN / "ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", Path(root) / "built", tarball],
        check=True, cwd=root, env=env, stdout=subprocess.DEVNULL)
    return Path(root) / "built" / "ansible_collections" / "raybook" / "ray"


def repository_copy(root):
    """The repository's tracked and new files (not what .gitignore leaves out, not the collections/ link)."""
    target = Path(root) / "repo" / "ansible_collections" / "raybook" / "ray"
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=PROJECT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = PROJECT / name
        if name.startswith("collections/") or not source.is_file():
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)  # ansible-test asks git which files it owns
    subprocess.run(["git", "add", "-A"], cwd=target, check=True)
    return target


def stand_in_for_pip_bootstrap(cache, bin_dir):
    """Put the stand-in where the ansible-test of bin_dir's venv looks for its pinned pip's bootstrap script."""
    [requirements] = (bin_dir.parent / "lib").glob("python3*/site-packages/ansible_test/_internal/python_requirements.py")
    pip_version = re.search(r"\bpip='([0-9.]+)'", requirements.read_text()).group(1)
    (cache / ("get_pip_%s.py" % pip_version.replace(".", "_"))).write_text(GET_PIP_STAND_IN)


def core_bin(home, version):
    """The bin folder of a venv holding ansible-core `version` alone (made from PyPI once, kept in home)."""
    venv = home / "cores" / version
    if not (venv / "bin" / "ansible-test").exists():
        run([sys.executable, "-m", "venv", "--clear", venv], check=True)
        run([venv / "bin" / "pip", "install", "--quiet", "ansible-core==" + version], check=True)
    return venv / "bin"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--core", action="append", default=[], metavar="VERSION",
                        help="instead: the built collection's sanity with this ansible-core release (repeatable)")
    cores = parser.parse_args().core
    with tempfile.TemporaryDirectory(prefix="raybook-sanity-") as root:
        home = PROJECT / ".ansible" / "sanity-home"
        cache = home / ".ansible" / "test" / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        stand_in_for_pip_bootstrap(cache, BIN)
        env = {**os.environ, "HOME": str(home), "PATH": "%s:%s" % (BIN, os.environ["PATH"])}
        env.pop("ANSIBLE_CONFIG", None)
        python = "%d.%d" % sys.version_info[:2]
        status = 0
        if cores:
            collection = built_collection(root, env)
            for version in cores:
                bin_dir = core_bin(home, version)
                stand_in_for_pip_bootstrap(cache, bin_dir)
                status |= run([bin_dir / "ansible-test", "sanity", "--python", python, "--local", "--color", "no"], cwd=collection,
                              env={**env, "PATH": "%s:%s" % (bin_dir, os.environ["PATH"])})
            sys.exit(status)
        repository = repository_copy(root)
        for collection in (built_collection(root, env), repository):
            status |= run([BIN / "ansible-test", "sanity", "--python", python, "--local", "--color", "no"],
                          cwd=collection, env=env)
        # The plugins' unit tests, as ansible-test finds them (tests/unit/plugins/, pytest-xdist and pytest-mock).
        status |= run([BIN / "ansible-test", "units", "--python", python, "--local", "--color", "no", "tests/unit/plugins/"],
                      cwd=repository, env=env)
    sys.exit(status)


if __name__ == "__main__":
    main()
