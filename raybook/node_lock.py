"""`make lock`: the nodes' pinned set (Ray with its extras and ray_node_pip_packages, as the inventory pins them),
resolved with every dependency and written with each file's sha256 to requirements-node.txt, so that ray_node can
install with `--require-hashes` (ray_node_pip_require_hashes). The lock is for the Python and platform it is made
on: make it with the nodes' Python (the Debian 12 hosts here run 3.11 on x86_64)."""

from __future__ import annotations

import argparse
import hashlib
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

PROJECT_DIR = Path(__file__).resolve().parents[1]
LOCK_FILE = PROJECT_DIR / "requirements-node.txt"
HEADER = "# The nodes' pinned set with every dependency and its sha256, for ray_node_pip_require_hashes.\n" \
         "# Made by `make lock` (raybook/node_lock.py); do not edit. Regenerate when ray_version or\n" \
         "# ray_node_pip_packages change (a test fails until then).\n"


def pinned_set(project_dir: Path = PROJECT_DIR) -> list[str]:
    """What every node installs: ray[extras]==ray_version, then ray_node_pip_packages (the project's group_vars over
    the roles' defaults)."""
    defaults = {}
    for role in ("raybook", "ray_node"):
        defaults.update(yaml.safe_load((project_dir / "roles" / role / "defaults" / "main.yml").read_text()))
    settings = defaults | yaml.safe_load((project_dir / "inventory" / "group_vars" / "all.yml").read_text())
    extras, packages = settings["ray_node_extras"], settings["ray_node_pip_packages"]
    return ["ray[%s]==%s" % (",".join(extras), settings["ray_version"])] + list(packages)


def distribution(filename: str) -> tuple[str, str]:
    """(canonical name, version) of a wheel or sdist file name."""
    if filename.endswith(".whl"):
        name, version, _unused, _unused = parse_wheel_filename(filename)
    else:
        name, version = parse_sdist_filename(filename)
    return canonicalize_name(name), str(version)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def lock_text(requirements: list[str], files: list[Path], python: str, machine: str) -> str:
    """The lock: a header naming the pinned set, Python and platform, then one `name==version --hash` line per file
    (Ray's line keeps its extras)."""
    ray_extras = next((r[r.index("["):r.index("]") + 1] for r in requirements if r.startswith("ray[")), "")
    lines = []
    for path in sorted(files, key=lambda p: distribution(p.name)):
        name, version = distribution(path.name)
        lines.append("%s%s==%s \\\n    --hash=sha256:%s" % (name, ray_extras if name == "ray" else "", version, sha256(path)))
    return (HEADER + "# pinned set: %s\n# python: %s  platform: %s\n" % (" ".join(requirements), python, machine)
            + "\n".join(lines) + "\n")


def pinned_set_of(lock: str) -> list[str]:
    """The pinned set a lock was made for, from its header."""
    for line in lock.splitlines():
        if line.startswith("# pinned set: "):
            return line[len("# pinned set: "):].split()
    return []


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="make lock", description=__doc__)
    parser.add_argument("--output", type=Path, default=LOCK_FILE)
    args = parser.parse_args(argv)
    requirements = pinned_set()
    with tempfile.TemporaryDirectory() as folder:
        completed = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
                                    "--dest", folder, *requirements], check=False, capture_output=True, text=True)
        if completed.returncode != 0:
            reason = completed.stderr.strip().splitlines()[-1:]
            print("make lock: pip could not download %s: %s" % (" ".join(requirements), reason), file=sys.stderr)
            return 1
        text = lock_text(requirements, list(Path(folder).iterdir()), platform.python_version(),
                         "%s-%s" % (sys.platform, platform.machine()))
    partial = args.output.with_name(args.output.name + ".partial")
    partial.write_text(text)
    partial.replace(args.output)
    print("%s: %d files for %s" % (args.output.name, text.count("--hash="), " ".join(requirements)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
