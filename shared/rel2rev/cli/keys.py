"""`rel2rev keys create|list|revoke --workspace W`: the finance API's bearer keys.

A new key's secret is printed once and stored only as its SHA-256 hash. Reads the results
table name from `REL2REV_RESULTS_TABLE` (the stack's environment, as the functions do).
"""

from __future__ import annotations

import argparse
import json
import sys

from pydantic import ValidationError

from rel2rev.errors import InputError
from rel2rev.storage.api_keys import ApiKeyStore, api_key_store

HELP = "Create, list or revoke the finance API keys of a workspace"


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of `rel2rev keys`."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="Create a key (its secret is shown once)")
    create.add_argument("--workspace", required=True)
    create.add_argument("--name", help="What the key is for, e.g. 'finance warehouse'")
    listing = actions.add_parser("list", help="List keys (never their secrets)")
    listing.add_argument("--workspace", required=True)
    revoke = actions.add_parser("revoke", help="Revoke a key: it stops working at once")
    revoke.add_argument("--workspace", required=True)
    revoke.add_argument("--key-id", required=True)
    for sub in (create, listing, revoke):
        sub.add_argument("--json", action="store_true", help="Print JSON instead of text")


def _store() -> ApiKeyStore:
    try:
        return api_key_store()
    except ValidationError as exc:
        raise InputError(
            "REL2REV_RESULTS_TABLE is not set: point the environment at a stack "
            "(e.g. `rel2rev local up` prints it)"
        ) from exc


def run(args: argparse.Namespace) -> int:
    """Execute `rel2rev keys ACTION`."""
    store = _store()
    out = sys.stdout
    if args.action == "create":
        key, secret = store.create(args.workspace, name=args.name)
        if args.json:
            out.write(json.dumps({**key.model_dump(mode="json"), "secret": secret}) + "\n")
        else:
            out.write(f"key {key.key_id} for workspace {key.workspace}\n")
            out.write(f"secret (shown once, store it now): {secret}\n")
        return 0
    if args.action == "list":
        keys = store.list(args.workspace)
        if args.json:
            out.write(json.dumps([k.model_dump(mode="json") for k in keys]) + "\n")
        for key in [] if args.json else keys:
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            out.write(f"{key.key_id}  {key.created_at:%Y-%m-%d}  {state}  {key.name or ''}\n")
        return 0
    key = store.revoke(args.workspace, args.key_id)
    if args.json:
        out.write(key.model_dump_json() + "\n")
    else:
        out.write(f"revoked {key.key_id}\n")
    return 0
