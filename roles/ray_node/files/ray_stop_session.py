"""Stops the Ray processes of one Ray temp dir, and no other Ray on the host (unlike `ray stop`).

Ray's daemons that name <temp dir>/session_ on their command line (GCS, raylet, dashboard, log monitor) mark
their process session: every Ray process of that session (the Ray Client server and the autoscaler monitor name
no folder) is stopped too, with every descendant (workers, actors, job drivers). A process naming another temp
dir's session, and all it started, is spared, and so is the session this script runs in. SIGTERM first, SIGKILL
to what is left after the grace period. Prints one JSON line: {"stopped": N, "pids": [...]}.
Usage: ray_stop_session.py TEMP_DIR [GRACE_SECONDS]
"""

import json
import os
import signal
import sys
import time


def processes():
    """{pid: (session id, parent pid, command line)} for every process that can be read."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as stream:
                cmdline = stream.read().replace(b"\0", b" ").decode(errors="replace")
            with open("/proc/%s/stat" % name) as stream:
                parent = int(stream.read().rsplit(")", 1)[1].split()[1])
            found[int(name)] = (os.getsid(int(name)), parent, cmdline)
        except (OSError, ProcessLookupError, ValueError, IndexError):
            continue  # gone, or not ours to read
    return found


def is_ray(cmdline):
    return cmdline.startswith(("ray::", "ray-dashboard")) or "/site-packages/ray/" in cmdline or " -m ray." in cmdline


def descendants(roots, table):
    children = {}
    for pid, (_sid, parent, _cmdline) in table.items():
        children.setdefault(parent, []).append(pid)
    found, queue = set(), list(roots)
    while queue:
        pid = queue.pop()
        if pid not in found:
            found.add(pid)
            queue.extend(children.get(pid, []))
    return found


def targets(temp_dir, table):
    """The pids to stop: the Ray processes of the marked sessions and all they started."""
    marker = os.path.join(temp_dir.rstrip("/"), "session_")
    own = os.getsid(0)
    sessions = {sid for sid, _parent, cmdline in table.values() if marker in cmdline and sid != own}
    others = {pid for pid, (_sid, _parent, cmdline) in table.items() if "/session_" in cmdline and marker not in cmdline}
    roots = {pid for pid, (sid, _parent, cmdline) in table.items() if sid in sessions and is_ray(cmdline)} - others
    return sorted(descendants(roots, table) - descendants(others, table) - {os.getpid()})


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is gone for our purpose
        with open("/proc/%d/stat" % pid) as stream:
            return stream.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def signal_all(pids, signum):
    for pid in pids:
        try:
            os.kill(pid, signum)
        except (ProcessLookupError, PermissionError):
            continue


def main(temp_dir, grace_s=10.0):
    pids = targets(temp_dir, processes())
    signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.2)
    signal_all([pid for pid in pids if alive(pid)], signal.SIGKILL)
    print(json.dumps({"stopped": len(pids), "pids": pids}))


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or not os.path.isabs(sys.argv[1]):
        sys.exit("usage: ray_stop_session.py TEMP_DIR [GRACE_SECONDS] (TEMP_DIR an absolute path)")
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) == 3 else 10.0)
