"""runc, minus the capabilities this machine's bounding set lacks. Docker's --privileged (which kind's nodes use)
asks for every capability; this VM has no CAP_SYS_RESOURCE, so runc cannot apply them and the container fails.
On `create`/`run` the bundle's config.json, on `exec` the process file, loses the capabilities the bounding set
lacks; then runc runs as asked."""
import json
import os
import sys

args = sys.argv[1:]
NAMES = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
         "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
         "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
         "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
         "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
         "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
         "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"]


def runc_command():
    """runc's command: the first argument that is no global option (one that takes a value is skipped with it)."""
    valued = {"--root", "--log", "--log-format", "--criu", "--rootless"}
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in valued:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def option(name, default=None):
    """The value of runc's option NAME (--name VALUE or --name=VALUE) among the arguments."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


def drop_missing(path, capabilities_of):
    """Rewrites the JSON file at PATH without the capabilities the bounding set lacks."""
    with open("/proc/self/status") as status:
        bounding = int(next(line for line in status if line.startswith("CapBnd:")).split()[1], 16)
    missing = {name for bit, name in enumerate(NAMES) if not bounding >> bit & 1}
    with open(path) as stream:
        document = json.load(stream)
    capabilities = capabilities_of(document)
    if missing and any(missing & set(values) for values in capabilities.values()):
        for kind, values in capabilities.items():
            capabilities[kind] = [value for value in values if value not in missing]
        with open(path, "w") as stream:
            json.dump(document, stream)


command = runc_command()
if command in ("create", "run"):
    drop_missing(os.path.join(option("--bundle", option("-b", ".")), "config.json"),
                 lambda config: config.get("process", {}).get("capabilities", {}))
elif command == "exec" and option("--process"):
    drop_missing(option("--process"), lambda process: process.get("capabilities", {}))
os.execv("/usr/sbin/runc", ["runc", *args])
