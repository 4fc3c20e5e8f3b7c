"""`rel2rev local up`: run the embedded stack until Ctrl-C and print where everything is."""

from __future__ import annotations

import argparse
import shlex
import threading
from pathlib import Path

from pydantic import TypeAdapter

from rel2rev.errors import InputError
from rel2rev.ingest.connections import Connection
from rel2rev.local import LocalStack, swagger

HELP = "Run the embedded local stack (moto + the template's HTTP API) until Ctrl-C"


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of `rel2rev local`."""
    parser.add_argument("action", choices=["up"], help="up: start the stack and keep it running")
    parser.add_argument("--port", type=int, default=8787, help="HTTP API port (default 8787)")
    parser.add_argument(
        "--connections",
        type=Path,
        help="JSON file with a list of Connection objects to register (SSM SecureStrings)",
    )
    parser.add_argument("--log-level", default="WARNING", help="Powertools log level")


def _connections(path: Path | None) -> list[Connection]:
    if path is None:
        return []
    try:
        return TypeAdapter(list[Connection]).validate_json(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read connections from {path}: {exc}") from None


def shell_exports(env: dict[str, str]) -> list[str]:
    """`export NAME=value` lines (quoted for a POSIX shell) of a stack's environment."""
    return [f"export {name}={shlex.quote(value)}" for name, value in sorted(env.items())]


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """Start the stack, print its URLs and names, and wait for Ctrl-C (or `stop`)."""
    connections = _connections(args.connections)
    with LocalStack(port=args.port, log_level=args.log_level) as stack:
        for connection in connections:
            stack.connections.register(connection)
        routes = [f"{r.method} {stack.api_url}{r.path}" for r in stack.template.routes]
        print(f"rel2rev local stack {stack.stack_name} is up")
        print(f"  HTTP API      {stack.api_url}")
        print(f"  Swagger UI    {stack.api_url}{swagger.DOCS_PATH}")
        print(f"  AWS endpoint  {stack.endpoint_url} (region us-east-1, any credentials)")
        print(f"  connections   SSM {stack.connections.prefix}/{{workspace}}/{{source}}")
        print("  routes")
        for route in routes:
            print(f"    {route}")
        print("  environment: paste these into another shell to use the CLI against this stack")
        for line in shell_exports(stack.env):
            print(f"    {line}")
        print("Ctrl-C to stop.", flush=True)
        try:
            (stop or threading.Event()).wait()
        except KeyboardInterrupt:
            print("stopping")
    return 0
