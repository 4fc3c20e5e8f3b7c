"""LocalStack: the whole service on one machine — moto as AWS, the template's API and queues.

    with LocalStack() as stack:
        stack.connections.register(Connection(workspace="acme", source="generic", ...))
        requests.post(f"{stack.api_url}/v1/hooks/acme/generic", ...)
        stack.drain()
        stack.client("dynamodb").scan(...)

Starting a stack starts moto's `ThreadedMotoServer` on 127.0.0.1, creates the template's
tables, buckets, queues and topics under stack-unique names, sets the process environment the
way Lambda sets each function's (template variables with Ref/GetAtt resolved to the local
names, plus AWS endpoint and credentials), serves the HTTP API routes and starts one poller per
SQS event source. Stopping it undoes all of that. The environment and moto's state are
process-wide (a new stack starts from an empty moto), so run one stack per process at a time.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import urllib.request
import uuid
import warnings
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from boto3.session import Session
from moto.server import ThreadedMotoServer

from rel2rev.ingest.connections import Connection
from rel2rev.local import swagger
from rel2rev.local.functions import LocalFunctions
from rel2rev.local.gateway import LocalGateway
from rel2rev.local.queues import QueuePoller
from rel2rev.local.resources import REGION, LocalNames, provision
from rel2rev.local.template import TEMPLATE_PATH, TemplateModel
from rel2rev.storage.connections import connection_parameter_value

CONNECTIONS_PREFIX_VARIABLE = "REL2REV_CONNECTIONS_PREFIX"
"""The ingest setting naming the SSM prefix of connections (read from the template env)."""


def reset_cached_factories() -> None:
    """Clear every `functools.cache` of loaded rel2rev modules (clients, settings, stores)."""
    for name, module in list(sys.modules.items()):
        if not (name == "rel2rev" or name.startswith("rel2rev.")):
            continue
        for value in list(vars(module).values()):
            wrapped = getattr(value, "__wrapped__", None)
            clearable = callable(getattr(value, "cache_clear", None))
            if clearable and getattr(wrapped, "__module__", None) == name:
                value.cache_clear()


class LocalConnections:
    """Registers (workspace, source) connections as SSM SecureStrings, like production."""

    def __init__(self, ssm: Any, prefix: str) -> None:
        self._ssm = ssm
        self.prefix = prefix.rstrip("/")

    def register(self, connection: Connection) -> str:
        """Store a connection; returns its parameter name."""
        name = f"{self.prefix}/{connection.workspace}/{connection.source}"
        self._ssm.put_parameter(
            Name=name,
            Value=connection_parameter_value(connection),
            Type="SecureString",
            Overwrite=True,
        )
        return name


class LocalStack:
    """The embedded stack (context manager). See the module docstring."""

    def __init__(
        self,
        *,
        port: int = 0,
        template: Path = TEMPLATE_PATH,
        log_level: str = "WARNING",
        metrics: bool = False,
        retry_delay: float = 0.2,
        deliver: bool = True,
    ) -> None:
        self.template = TemplateModel(template)
        self.stack_name = f"r2r-{uuid.uuid4().hex[:8]}"
        self._port = port
        self._log_level = log_level
        self._metrics = metrics
        self._retry_delay = retry_delay
        self._deliver = deliver
        self._moto: ThreadedMotoServer | None = None
        self._saved_env: dict[str, str | None] = {}
        self.gateway = LocalGateway(self.template, self.invoke, swagger.PAGES)
        self.functions = LocalFunctions(self.template, self.stack_name)
        self.pollers: list[QueuePoller] = []
        self.endpoint_url = ""
        self.api_url = ""
        self.env: dict[str, str] = {}
        self.function_env: dict[str, dict[str, str]] = {}

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Self:
        """Start moto, create the resources, set the environment, serve routes and queues."""
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        # moto's backends are process-wide: start from an empty AWS, whatever ran before.
        urllib.request.urlopen(
            urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        ).close()
        self.names = LocalNames(self.template, self.stack_name, self.endpoint_url)
        self._set_env(
            {
                "AWS_ENDPOINT_URL": self.endpoint_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
            }
        )
        provision(self.template, self.names, self.session)
        self.function_env = {
            logical_id: {
                k: str(v) for k, v in self.names.resolver.resolve(spec.environment).items()
            }
            for logical_id, spec in self.template.functions.items()
        }
        merged: dict[str, str] = {}
        for logical_id, env in self.function_env.items():
            for key, value in env.items():
                if merged.get(key, value) != value:
                    warnings.warn(
                        f"{logical_id} sets {key}={value!r} but another function sets "
                        f"{merged[key]!r}; the local stack shares one environment",
                        stacklevel=2,
                    )
                merged[key] = value
        merged.update(
            {
                "POWERTOOLS_LOG_LEVEL": self._log_level,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "false" if self._metrics else "true",
                "POWERTOOLS_DEV": "false",
            }
        )
        self._set_env(merged)
        self.env = {k: v for k, v in os.environ.items() if k in self._saved_env}
        reset_cached_factories()
        self.api_url = f"http://127.0.0.1:{self.gateway.start(port=self._port)}"
        if self._deliver:
            for source in self.template.queue_sources:
                poller = QueuePoller(
                    source,
                    self.names,
                    self.client("sqs"),
                    self.invoke,
                    retry_delay=self._retry_delay,
                )
                poller.start()
                self.pollers.append(poller)
        return self

    def stop(self) -> None:
        """Stop everything the stack started and restore the environment."""
        for poller in self.pollers:
            poller.stop()
        self.pollers.clear()
        self.gateway.stop()
        self.functions.unload()
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        reset_cached_factories()

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    # --- using it ----------------------------------------------------------------------------
    @cached_property
    def session(self) -> Session:
        """A boto3 session on the embedded AWS."""
        return Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            aws_session_token="testing",
            region_name=REGION,
        )

    def client(self, service: str) -> Any:
        """A boto3 client of the embedded AWS (endpoint from the environment)."""
        return self.session.client(service, endpoint_url=self.endpoint_url)  # type: ignore[call-overload]

    @cached_property
    def connections(self) -> LocalConnections:
        """Register connections (SSM SecureStrings under the template's prefix)."""
        prefixes = {
            env[CONNECTIONS_PREFIX_VARIABLE]
            for env in self.function_env.values()
            if CONNECTIONS_PREFIX_VARIABLE in env
        }
        return LocalConnections(self.client("ssm"), prefixes.pop() if prefixes else "/rel2rev")

    def name(self, logical_id: str) -> str:
        """The local physical name of a template resource (table, bucket, queue...)."""
        return self.names.name(logical_id)

    def ref(self, logical_id: str) -> str:
        """What `!Ref` of a template resource resolves to locally (a queue's URL, ...)."""
        return self.names.ref(logical_id)

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Call a template function in-process with a Lambda-like context."""
        return self.functions.invoke(logical_id, event)

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every event-source queue is empty and no batch is in flight.

        Drained means: each poller has found its queue empty after this call began (so it
        finished every batch it had), and no queue holds a message (visible, in flight or
        delayed), which also covers messages enqueued by the batches themselves.
        """
        deadline = time.monotonic() + timeout
        while True:
            seen = {id(p): p.empty_polls for p in self.pollers}
            while any(p.empty_polls <= seen[id(p)] for p in self.pollers):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            if all(p.pending() == 0 for p in self.pollers):
                return
            if time.monotonic() > deadline:
                waiting = {p.source.queue: p.pending() for p in self.pollers}
                raise TimeoutError(f"queues not drained after {timeout}s: {waiting}")
