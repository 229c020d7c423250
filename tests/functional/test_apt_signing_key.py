"""raybook.ray.apt_signing_key and its OpenPGP fingerprints (plugins/module_utils/openpgp.py), against keys made
by gpg (Debian's gnupg) for each test: the fingerprints must be the ones gpg prints, a key that is not the pinned
one must leave nothing written, and the module runs for real through `ansible`, fetching the key from a local
HTTP server."""

import base64
import functools
import http.server
import os
import subprocess
import threading

import pytest

from ansible_collections.raybook.ray.plugins.module_utils.openpgp import (
    KeyFileError,
    normalize_fingerprint,
    primary_fingerprints,
)
from tests.helpers import run_module

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/gpg"), reason="needs gpg (Debian's gnupg) to make keys")


def make_key(home, algorithm):
    """A new key pair in its own GNUPGHOME: (armored public key, binary public key, the fingerprint gpg prints)."""
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    gpg = ["gpg", "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run([*gpg, "--quick-gen-key", "raybook test <test@raybook.invalid>", algorithm, "sign", "never"],
                   env=env, check=True, capture_output=True)
    colons = subprocess.run([*gpg, "--with-colons", "--list-keys"], env=env, check=True, capture_output=True, text=True).stdout
    fingerprint = next(line.split(":")[9] for line in colons.splitlines() if line.startswith("fpr:"))
    armored = subprocess.run([*gpg, "--armor", "--export"], env=env, check=True, capture_output=True).stdout
    binary = subprocess.run([*gpg, "--export"], env=env, check=True, capture_output=True).stdout
    return armored, binary, fingerprint


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gpg")
    yield {"ed25519": make_key(folder / "a", "ed25519"), "rsa": make_key(folder / "b", "rsa2048"),
           "other": make_key(folder / "c", "ed25519")}
    for home in "abc":  # gpg leaves an agent running per home
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env={**os.environ, "GNUPGHOME": str(folder / home)}, check=False)


@pytest.mark.parametrize("algorithm", ["ed25519", "rsa"])
def test_fingerprints_are_the_ones_gpg_prints(keys, algorithm):
    armored, binary, fingerprint = keys[algorithm]
    assert primary_fingerprints(armored) == [fingerprint]
    assert primary_fingerprints(binary) == [fingerprint]
    assert primary_fingerprints(armored.decode()) == [fingerprint]


def test_new_format_packet_headers_give_the_same_fingerprint(keys):
    """gpg writes old-format headers; other tools write new-format ones (tag 6: 0xC6, then the length)."""
    _unused, binary, fingerprint = keys["ed25519"]
    width = {0x98: 1, 0x99: 2}[binary[0]]  # old format, tag 6, a one or two byte length
    body = binary[1 + width:1 + width + int.from_bytes(binary[1:1 + width], "big")]
    assert len(body) < 192
    assert primary_fingerprints(bytes([0xC6, len(body)]) + body) == [fingerprint]


def test_a_file_with_two_keys_lists_both(keys):
    both = keys["ed25519"][1] + keys["other"][1]
    assert primary_fingerprints(both) == [keys["ed25519"][2], keys["other"][2]]


@pytest.mark.parametrize("data, error", [
    (b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!not base64!!!\n-----END PGP PUBLIC KEY BLOCK-----\n", "not valid base64"),
    (b"\x00\x01\x02", "byte 0 is not an OpenPGP packet header"),
    (b"\x99\x01\x00\x04", "the file ends inside a packet"),
    ("<html>Not found</html>", "not an OpenPGP public key block"),
])
def test_what_is_not_a_key_is_named(data, error):
    with pytest.raises(KeyFileError, match=error):
        primary_fingerprints(data)


def test_fingerprints_are_normalized_as_gpg_prints_them():
    assert normalize_fingerprint("9DC8 5822 9FC7 DD38 854A  E2D8 8D81 803C 0EBF CD88") == "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
    assert normalize_fingerprint("0x9dc858229fc7dd38854ae2d88d81803c0ebfcd88") == "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
    assert normalize_fingerprint("0EBFCD88") is None  # a short key id is not a fingerprint


@pytest.fixture
def key_server(tmp_path, keys):
    """The keys served over HTTP from 127.0.0.1, as a repository (or its mirror) serves its gpg file."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "gpg").write_bytes(keys["ed25519"][0])
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "site"))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


def test_the_pinned_key_is_written_once(tmp_path, keys, key_server):
    dest = tmp_path / "keyrings" / "docker.asc"
    args = {"url": key_server + "/gpg", "dest": str(dest), "fingerprints": [keys["ed25519"][2].lower()]}
    rc, result = run_module("apt_signing_key", args, check=True)
    assert (rc, result["changed"], dest.exists()) == (0, True, False)  # check mode writes nothing
    rc, result = run_module("apt_signing_key", args)
    assert (rc, result["changed"]) == (0, True), result
    assert result["fingerprints"] == [keys["ed25519"][2]]
    assert dest.read_bytes() == keys["ed25519"][0] and oct(dest.stat().st_mode & 0o777) == "0o644"
    rc, result = run_module("apt_signing_key", args)
    assert (rc, result["changed"]) == (0, False), result


def test_a_key_that_is_not_the_pinned_one_is_refused_and_nothing_is_written(tmp_path, keys, key_server):
    dest = tmp_path / "keyrings" / "docker.asc"
    rc, result = run_module("apt_signing_key", {"url": key_server + "/gpg", "dest": str(dest), "fingerprints": [keys["other"][2]]})
    assert rc != 0
    assert result["msg"] == "fingerprints: the key from %s/gpg is %s; expected %s (nothing was written)" % (
        key_server, keys["ed25519"][2], keys["other"][2])
    assert not dest.parent.exists()


@pytest.mark.parametrize("args, message", [
    ({"content": "not a key", "fingerprints": ["9DC858229FC7DD38854AE2D88D81803C0EBFCD88"]},
     "content: not an OpenPGP public key (not an OpenPGP public key block)"),
    ({"content": "x", "fingerprints": ["0EBFCD88"]}, "fingerprints: expected fingerprints of 40 (v4) or 64 (v6) hex digits, got 0EBFCD88"),
    ({"url": "http://127.0.0.1:9/gpg", "fingerprints": ["9DC858229FC7DD38854AE2D88D81803C0EBFCD88"], "timeout": 3},
     "url: http://127.0.0.1:9/gpg answered -1 ("),
    ({"content": "x", "fingerprints": ["9DC858229FC7DD38854AE2D88D81803C0EBFCD88"], "timeout": "inf"},
     "timeout: expected a finite number of seconds > 0, got inf"),
])
def test_bad_input_is_one_line(tmp_path, args, message):
    rc, result = run_module("apt_signing_key", {"dest": str(tmp_path / "key.asc"), **args})
    assert rc != 0
    assert result["msg"].startswith(message) and "\n" not in result["msg"], result["msg"]
    assert not (tmp_path / "key.asc").exists()


def test_armor_headers_and_checksum_are_skipped(keys):
    armored, _unused, fingerprint = keys["rsa"]
    lines = armored.decode().splitlines()
    with_comment = "\n".join([lines[0], "Comment: raybook test", *lines[1:]])
    assert primary_fingerprints(with_comment) == [fingerprint]
    assert base64.b64decode("".join(armored.decode().splitlines()[2:-2])) == keys["rsa"][1]
