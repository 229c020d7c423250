"""The documentation stays true: links between pages resolve, the generated reference matches `make docs`, and every
command shown in a shell block of README.md and docs/ names make targets, playbooks, inventories, CLI subcommands
and flags that exist."""

import importlib.util
import pathlib
import re
import shlex
import subprocess

import pytest

from tests.helpers import PROJECT_DIR, VENV_BIN

PAGES = [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").rglob("*.md"))]
SHELL_BLOCK = re.compile(r"```sh\n(.*?)```", re.S)
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")
# Inventories the docs tell the user to create by copying an example.
USER_INVENTORY = re.compile(r"inventory/my-[\w-]+\.yml$")


def shell_commands():
    for page in PAGES:
        for block in SHELL_BLOCK.findall(page.read_text()):
            for line in block.splitlines():
                line = line.split("  #")[0].strip()
                if line and not line.startswith("#"):
                    yield pytest.param(line, id=f"{page.relative_to(PROJECT_DIR)}: {line[:60]}")


def test_links_between_pages_resolve():
    broken = []
    for page in PAGES:
        for target, _unused in LINK.findall(page.read_text()):
            if not re.match(r"[a-z]+://", target) and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(PROJECT_DIR)} -> {target}")
    assert broken == []


def test_the_generated_reference_is_up_to_date():
    spec = importlib.util.spec_from_file_location("generate_reference", PROJECT_DIR / "docs" / "generate_reference.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    reference = PROJECT_DIR / "docs" / "reference"
    assert (reference / "modules.md").read_text() == generator.modules_page(), "run make docs"
    assert (reference / "roles.md").read_text() == generator.roles_page(), "run make docs"


def make_targets():
    return set(re.findall(r"^([\w-]+):", (PROJECT_DIR / "Makefile").read_text(), re.M))


def cli_help(subcommand):
    return subprocess.run([str(VENV_BIN / "raybook"), subcommand, "--help"], check=False, capture_output=True, text=True).stdout


@pytest.mark.parametrize("line", list(shell_commands()))
def test_each_command_shown_names_things_that_exist(line):
    words = shlex.split(line)
    while words and re.match(r"^[A-Z_]+=", words[0]):  # environment assignments before the command
        words.pop(0)
    program, args = pathlib.Path(words[0]).name, words[1:]
    if program == "make":
        assert set(args) <= make_targets()
        return
    assert words[0].startswith(".venv/bin/"), f"commands run from the venv: {line}"
    if program in ("ansible-playbook", "ansible"):
        for index, arg in enumerate(args):
            if arg == "-i" and not USER_INVENTORY.search(args[index + 1]):
                assert (PROJECT_DIR / args[index + 1]).is_file(), args[index + 1]
            elif arg.endswith(".yml") and args[index - 1] not in ("-i", "-e") and program == "ansible-playbook":
                assert (PROJECT_DIR / arg).is_file(), arg
    elif program == "raybook":
        subcommand, *rest = args
        help_text = cli_help(subcommand)
        assert help_text, f"raybook has no subcommand {subcommand}"
        for flag in (arg for arg in rest if arg.startswith("-")):
            assert re.search(rf"(^|[\s,\[]){re.escape(flag)}\b", help_text), f"raybook {subcommand} has no {flag}"
    else:
        assert (VENV_BIN / program).exists(), program
