"""What `rel2rev demo --keep-up` prints works as printed: the CLI lines, run in a fresh process
with only the printed environment, reach the stack; the curl lines name real routes."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import urllib.request
from typing import Any

from rel2rev.cli.demo import keep_up_guide
from rel2rev.storage.api_keys import api_key_store

WORKSPACE = "guide"


def _environment(lines: list[str]) -> dict[str, str]:
    """The `export NAME=value` lines, read as a POSIX shell would."""
    env = {}
    for line in lines:
        if line.strip().startswith("export "):
            name, _, value = shlex.split(line.strip())[1].partition("=")
            env[name] = value
    return env


def test_the_printed_cli_lines_work_in_a_fresh_shell(local_stack: Any) -> None:
    _, key = api_key_store().create(WORKSPACE, name="finance (guide)")
    lines = keep_up_guide(local_stack, key, WORKSPACE)
    env = _environment(lines)
    assert env == local_stack.env
    commands = [shlex.split(x.strip())[1:] for x in lines if x.strip().startswith("rel2rev ")]
    assert ["keys", "list", "--workspace", WORKSPACE] in commands
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REL2REV_"))}
    listed = subprocess.run(
        [sys.executable, "-m", "rel2rev", "keys", "list", "--workspace", WORKSPACE, "--json"],
        env=base | env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert [k["name"] for k in json.loads(listed.stdout)] == ["finance (guide)"]


def test_the_printed_curl_lines_reach_the_api(local_stack: Any) -> None:
    _, key = api_key_store().create(WORKSPACE, name="finance (curl)")
    lines = keep_up_guide(local_stack, key, WORKSPACE)
    curls = [shlex.split(x.strip()) for x in lines if x.strip().startswith("curl ")]
    assert curls
    first = curls[0]
    request = urllib.request.Request(first[-1], headers=dict([first[2].split(": ", 1)]))
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
        assert "runs" in json.loads(response.read())
    for words in curls:
        url = next(w for w in words if w.startswith(("http://", "'http://")))
        assert url.startswith(local_stack.api_url), url
