"""`rel2rev local up` serves the template's API until stopped, and prints where it is."""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from pathlib import Path

import pytest
import requests

from rel2rev.cli import local

pytestmark = pytest.mark.integration


def test_local_up_serves_registered_connections_until_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    connections = tmp_path / "connections.json"
    connections.write_text(
        json.dumps([{"workspace": "acme", "source": "generic", "signing_secret": "s"}])
    )
    args = argparse.Namespace(action="up", port=0, connections=connections, log_level="ERROR")
    stop = threading.Event()
    runner = threading.Thread(target=local.run, args=(args, stop))
    runner.start()
    try:
        deadline = time.monotonic() + 60
        output = ""
        while "Ctrl-C" not in output and time.monotonic() < deadline:
            time.sleep(0.1)
            output += capsys.readouterr().out
        match = re.search(r"HTTP API\s+(http://127\.0\.0\.1:\d+)", output)
        assert match, output
        assert "POST " + match.group(1) + "/v1/hooks/{workspace}/{source}" in output
        api = match.group(1)
        unsigned = requests.post(f"{api}/v1/hooks/acme/generic", json={"events": []}, timeout=30)
        assert unsigned.status_code == 401, "the registered connection is used"
        unknown = requests.post(f"{api}/v1/hooks/other/generic", json={}, timeout=30)
        assert unknown.status_code == 404
    finally:
        stop.set()
        runner.join(timeout=60)
    assert not runner.is_alive()
