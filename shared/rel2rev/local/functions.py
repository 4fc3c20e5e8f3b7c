"""Run the template's functions in-process, the way Lambda would call their handlers.

Each function's handler module is imported from its code directory (once per stack, under a
private module name, so every stack gets a cold start with its own environment) and called
with a Lambda-like context. Invocations of one function are serialised, like a function with
a reserved concurrency of one: handler modules may keep per-container state.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import uuid
from collections.abc import Callable
from types import ModuleType
from typing import Any

from rel2rev.local.resources import ACCOUNT, REGION
from rel2rev.local.template import FunctionSpec, TemplateModel

Handler = Callable[[Any, Any], Any]


class LocalContext:
    """The parts of Lambda's context object handlers use."""

    def __init__(self, spec: FunctionSpec, function_name: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
        self.memory_limit_in_mb = spec.memory
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self._deadline = time.monotonic() + spec.timeout

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LocalFunctions:
    """The template's functions of one local stack, imported lazily and invoked in-process."""

    def __init__(self, template: TemplateModel, stack_name: str) -> None:
        self._template = template
        self._stack = stack_name
        self._handlers: dict[str, Handler] = {}
        self._locks = {logical_id: threading.Lock() for logical_id in template.functions}
        self._import_lock = threading.Lock()
        self.modules: list[str] = []

    def _import(self, spec: FunctionSpec) -> Handler:
        module_path, _, attribute = spec.handler.rpartition(".")
        file = spec.code_dir.joinpath(*module_path.split(".")).with_suffix(".py")
        name = f"_rel2rev_local_{self._stack}_{spec.logical_id}_{module_path}".replace("-", "_")
        loader_spec = importlib.util.spec_from_file_location(name, file)
        if loader_spec is None or loader_spec.loader is None:
            raise ImportError(f"cannot import {spec.logical_id} handler from {file}")
        module: ModuleType = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = module
        sys.path.insert(0, str(spec.code_dir))
        try:
            loader_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        finally:
            sys.path.remove(str(spec.code_dir))
        self.modules.append(name)
        handler: Handler = getattr(module, attribute)
        return handler

    def handler(self, logical_id: str) -> Handler:
        """The function's handler (imported on first use: the cold start)."""
        with self._import_lock:
            if logical_id not in self._handlers:
                self._handlers[logical_id] = self._import(self._template.functions[logical_id])
            return self._handlers[logical_id]

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Call the function with `event` and a Lambda-like context; return its result."""
        if logical_id not in self._template.functions:
            raise KeyError(f"no function {logical_id!r} in the template")
        handler = self.handler(logical_id)
        spec = self._template.functions[logical_id]
        with self._locks[logical_id]:
            return handler(event, LocalContext(spec, f"{self._stack}-{logical_id}"))

    def unload(self) -> None:
        """Forget the imported handler modules (the next stack starts cold)."""
        for name in self.modules:
            sys.modules.pop(name, None)
        self.modules.clear()
        self._handlers.clear()
