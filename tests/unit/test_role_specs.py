"""Each role documents every knob of its defaults/main.yml in meta/argument_specs.yml, with the same default, so
`ansible-doc -t role` and the generated reference show what a role does when nothing is set."""

import re

import pytest
import yaml

from tests.helpers import PROJECT_DIR

ROLES = sorted(path.name for path in (PROJECT_DIR / "roles").iterdir() if path.is_dir())


def load(role, name):
    path = PROJECT_DIR / "roles" / role / name
    return yaml.safe_load(path.read_text()) if path.exists() else None


@pytest.mark.parametrize("role", ROLES)
def test_every_default_is_documented_with_its_value(role):
    defaults = load(role, "defaults/main.yml") or {}
    entry_points = load(role, "meta/argument_specs.yml")["argument_specs"]
    main = entry_points["main"].get("options") or {}
    missing = sorted(set(defaults) - set(main))
    assert not missing, "%s: defaults/main.yml knobs missing from the main entry point: %s" % (role, missing)
    for entry_point, spec in entry_points.items():
        for name, option in (spec.get("options") or {}).items():
            if name in defaults:
                assert option.get("default") == defaults[name], "%s %s: %s's default differs from defaults/main.yml" % (
                    role, entry_point, name)
            else:
                assert option.get("required"), "%s %s: %s has no default and is not required" % (role, entry_point, name)


def test_the_shared_knobs_have_one_home():
    """The shared knobs are the raybook role's: no other role sets one of them (it would shadow the user's value
    only when that role runs)."""
    shared = set(load("raybook", "defaults/main.yml"))
    for role in ROLES:
        if role != "raybook":
            assert not shared & set(load(role, "defaults/main.yml") or {}), role


@pytest.mark.parametrize("role", [role for role in ROLES if role != "raybook"])
def test_a_role_that_reads_a_shared_knob_depends_on_the_raybook_role(role):
    shared = set(load("raybook", "defaults/main.yml"))
    text = "".join(path.read_text() for folder in ("defaults", "vars", "tasks", "templates")
                   for path in sorted((PROJECT_DIR / "roles" / role / folder).glob("*")) if path.is_file())
    reads = sorted(name for name in shared if name in text)
    dependencies = [entry["role"] for entry in load(role, "meta/main.yml").get("dependencies") or []]
    assert not reads or dependencies == ["raybook.ray.raybook"], "%s reads %s without depending on raybook.ray.raybook" % (
        role, reads)


PLAYS = [(path.name, play) for path in sorted((PROJECT_DIR / "playbooks").glob("*.yml"))
         for play in yaml.safe_load(path.read_text()) if "hosts" in play]


@pytest.mark.parametrize("playbook, play", PLAYS, ids=["%s: %s" % (name, play["name"]) for name, play in PLAYS])
def test_a_shipped_play_that_reads_a_shared_knob_loads_the_raybook_role(playbook, play):
    """The shared knobs' defaults reach a play only through the raybook role (first in roles, or imported first in
    pre_tasks): without it, a project with no group_vars of its own gets 'undefined'."""
    shared = set(load("raybook", "defaults/main.yml"))
    text = yaml.safe_dump({key: value for key, value in play.items() if key != "name"})
    reads = sorted(name for name in shared if re.search(r"\b%s\b" % name, text))
    roles = [entry["role"] for entry in play.get("roles") or []]
    imports = [task["ansible.builtin.import_role"]["name"] for task in play.get("pre_tasks") or []
               if "ansible.builtin.import_role" in task]
    assert not reads or "raybook.ray.raybook" in roles[:1] + imports[:1], "%s: %r reads %s" % (playbook, play["name"], reads)
