"""Read template.yaml: CloudFormation YAML tags, intrinsic functions, functions and routes.

The embedded stack learns everything from the template: which tables, buckets and queues to
create, each function's code, handler and environment, the HTTP API routes and authorizers,
and which queues feed which functions. Nothing here names a rel2rev resource.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = _ROOT / "template.yaml"
"""The repository's template.yaml (the package is installed editable from the checkout)."""


class _CfnLoader(yaml.SafeLoader):  # type: ignore[misc]
    """A YAML loader that understands the CloudFormation short-form tags."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as plain data, short-form tags turned into their long form."""
    data: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)
    return data


class Route(BaseModel):
    """One HTTP API route: method, path template, the function and its authorizer (if any)."""

    model_config = ConfigDict(frozen=True)

    method: str
    path: str
    function: str
    authorizer: str | None = None

    def pattern(self) -> re.Pattern[str]:
        """A regex matching request paths, with one named group per `{parameter}`."""
        parts = re.split(r"(\{[^}]+\})", self.path)
        regex = "".join(
            f"(?P<{p[1:-1].rstrip('+')}>.+)"
            if p.endswith("+}")
            else f"(?P<{p[1:-1]}>[^/]+)"
            if p.startswith("{")
            else re.escape(p)
            for p in parts
        )
        return re.compile(f"^{regex}$")


class Authorizer(BaseModel):
    """A Lambda authorizer of the HTTP API."""

    model_config = ConfigDict(frozen=True)

    name: str
    function: str
    payload_version: str = "2.0"
    simple_responses: bool = False
    identity_headers: tuple[str, ...] = ()


class QueueSource(BaseModel):
    """An SQS event source mapping: queue -> function."""

    model_config = ConfigDict(frozen=True)

    queue: str
    function: str
    batch_size: int = 10
    report_failures: bool = False


class FunctionSpec(BaseModel):
    """A function: where its code is, which module attribute handles, its environment."""

    model_config = ConfigDict(frozen=True)

    logical_id: str
    code_dir: Path
    handler_name: str | None = Field(None, description="`module.attribute`; None: image CMD")
    dockerfile: Path | None = None
    image_command: str | None = None
    timeout: int = 3
    memory: int = 128
    environment: dict[str, Any] = Field(default_factory=dict)

    @property
    def handler(self) -> str:
        """`module.attribute` of the handler (an image function's from its CMD)."""
        if self.handler_name is not None:
            return self.handler_name
        if self.image_command is not None:
            return self.image_command
        dockerfile = self.dockerfile or self.code_dir / "Dockerfile"
        match = re.search(r'^CMD\s*\[\s*"([^"]+)"', dockerfile.read_text(), re.MULTILINE)
        if match is None:
            raise ValueError(f'{dockerfile}: no CMD ["module.handler"] to invoke locally')
        return match.group(1)


def _functions(template: Mapping[str, Any], root: Path) -> dict[str, FunctionSpec]:
    globals_ = template.get("Globals", {}).get("Function", {})
    found: dict[str, FunctionSpec] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = {**globals_, **resource.get("Properties", {})}
        env = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **resource.get("Properties", {}).get("Environment", {}).get("Variables", {}),
        }
        image = props.get("PackageType") == "Image"
        dockerfile = root / resource.get("Metadata", {}).get("Dockerfile", "Dockerfile")
        command = props.get("ImageConfig", {}).get("Command") or [None]
        found[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_dir=dockerfile.parent if image else root / str(props.get("CodeUri", ".")),
            handler_name=None if image else str(props["Handler"]),
            dockerfile=dockerfile if image else None,
            image_command=command[0] if image else None,
            timeout=int(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            environment=env,
        )
    return found


def _api_auth(template: Mapping[str, Any]) -> tuple[dict[str, Authorizer], str | None]:
    authorizers: dict[str, Authorizer] = {}
    default: str | None = None
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") != "AWS::Serverless::HttpApi":
            continue
        auth = resource.get("Properties", {}).get("Auth", {})
        default = auth.get("DefaultAuthorizer", default)
        for name, spec in auth.get("Authorizers", {}).items():
            arn = spec.get("FunctionArn", {})
            if "Fn::GetAtt" not in arn:
                continue
            authorizers[name] = Authorizer(
                name=name,
                function=arn["Fn::GetAtt"][0],
                payload_version=str(spec.get("AuthorizerPayloadFormatVersion", "2.0")),
                simple_responses=bool(spec.get("EnableSimpleResponses", False)),
                identity_headers=tuple(
                    h.lower() for h in spec.get("Identity", {}).get("Headers", [])
                ),
            )
    return authorizers, default


class TemplateModel:
    """What the embedded stack needs from the template, read once."""

    def __init__(self, path: Path = TEMPLATE_PATH) -> None:
        self.path = path
        self.data = load_template(path)
        self.resources: dict[str, Any] = self.data.get("Resources", {})
        self.parameters: dict[str, Any] = {
            name: spec.get("Default") for name, spec in self.data.get("Parameters", {}).items()
        }
        self.functions = _functions(self.data, path.parent)
        self.authorizers, default_authorizer = _api_auth(self.data)
        self.routes: list[Route] = []
        self.queue_sources: list[QueueSource] = []
        for logical_id, resource in self.resources.items():
            if resource.get("Type") != "AWS::Serverless::Function":
                continue
            for event in resource.get("Properties", {}).get("Events", {}).values():
                props = event.get("Properties", {})
                if event.get("Type") == "HttpApi":
                    authorizer = props.get("Auth", {}).get("Authorizer", default_authorizer)
                    self.routes.append(
                        Route(
                            method=str(props.get("Method", "ANY")).upper(),
                            path=str(props.get("Path", "/{proxy+}")),
                            function=logical_id,
                            authorizer=None if authorizer in (None, "NONE") else authorizer,
                        )
                    )
                elif event.get("Type") == "SQS":
                    self.queue_sources.append(
                        QueueSource(
                            queue=props["Queue"]["Fn::GetAtt"][0],
                            function=logical_id,
                            batch_size=int(props.get("BatchSize", 10)),
                            report_failures="ReportBatchItemFailures"
                            in props.get("FunctionResponseTypes", []),
                        )
                    )

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """The resources of one CloudFormation type, by logical id."""
        return {k: v for k, v in self.resources.items() if v.get("Type") == resource_type}


class Resolver:
    """Resolves intrinsic functions against local names (Ref / GetAtt / Sub / Join / If...)."""

    def __init__(
        self,
        template: TemplateModel,
        ref: Callable[[str], str],
        get_att: Callable[[str, str], str],
        pseudo: Mapping[str, str],
    ) -> None:
        self._template = template
        self._ref = ref
        self._get_att = get_att
        self._pseudo = dict(pseudo)

    def _reference(self, name: str) -> Any:
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self._template.parameters:
            return self._template.parameters[name]
        return self._ref(name)

    def _condition(self, name: str) -> bool:
        return bool(self.resolve(self._template.data.get("Conditions", {})[name]))

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic function evaluated."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self.resolve(v) for k, v in value.items()}
        ((name, arg),) = value.items()
        handlers: dict[str, Callable[[Any], Any]] = {
            "Ref": self._reference,
            "Condition": self._condition,
            "Fn::GetAtt": lambda a: self._get_att(a[0], a[1]),
            "Fn::Sub": self._sub,
            "Fn::Join": lambda a: str(a[0]).join(str(v) for v in self.resolve(a[1])),
            "Fn::Select": lambda a: self.resolve(a[1])[int(self.resolve(a[0]))],
            "Fn::Split": lambda a: str(self.resolve(a[1])).split(a[0]),
            "Fn::Equals": lambda a: self.resolve(a[0]) == self.resolve(a[1]),
            "Fn::Not": lambda a: not self.resolve(a[0]),
            "Fn::And": lambda a: all(self.resolve(v) for v in a),
            "Fn::Or": lambda a: any(self.resolve(v) for v in a),
            "Fn::If": lambda a: self.resolve(a[1] if self._condition(a[0]) else a[2]),
        }
        if name in handlers:
            return handlers[name](arg)
        return {name: self.resolve(arg)}

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        local = {k: self.resolve(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in local:
                return str(local[expression])
            if "." in expression and expression.split(".", 1)[0] in self._template.resources:
                logical_id, attribute = expression.split(".", 1)
                return str(self._get_att(logical_id, attribute))
            return str(self._reference(expression))

        return re.sub(r"\$\{([^}]+)\}", replace, text)
