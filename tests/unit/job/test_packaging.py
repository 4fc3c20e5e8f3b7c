"""Packaging facts that hold without the network: pins, image wiring, light handlers stay light."""

import re
import zipfile
from pathlib import Path

import pytest

from rel2rev.local.template import TemplateModel
from rel2rev.packaging import JOB_REQUIREMENTS, ROOT, build_zip, import_time


def test_job_requirements_are_all_pinned_and_carry_the_modelling_stack() -> None:
    lines = [line for line in JOB_REQUIREMENTS.read_text().splitlines() if line and line[0] != "#"]
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9._-]*==[0-9][0-9a-z.]*", line) for line in lines)
    names = {line.split("==")[0] for line in lines}
    assert {"lifelines", "pandas", "scipy", "pyarrow", "aws-lambda-powertools"} <= names


def test_the_job_is_an_image_function_built_from_its_dockerfile() -> None:
    template = TemplateModel()
    job = template.resources["ModelJobFunction"]
    assert job["Properties"]["PackageType"] == "Image"
    dockerfile = ROOT / job["Metadata"]["DockerContext"] / job["Metadata"]["Dockerfile"]
    text = dockerfile.read_text()
    assert "FROM public.ecr.aws/lambda/python:3.12" in text
    assert template.functions["ModelJobFunction"].handler == "app.lambda_handler"
    schedule = job["Properties"]["Events"]["Daily"]
    assert schedule["Type"] == "ScheduleV2"
    assert schedule["Properties"]["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert "DeadLetterConfig" in schedule["Properties"]


def test_light_zips_leave_out_what_the_runtime_provides(tmp_path: Path) -> None:
    deps = tmp_path / "deps"
    for name in ("boto3", "botocore", "pydantic"):
        (deps / name).mkdir(parents=True)
        (deps / name / "__init__.py").write_text("")
    (deps / "boto3-1.0.dist-info").mkdir()
    (deps / "boto3-1.0.dist-info" / "METADATA").write_text("")
    names = zipfile.ZipFile(build_zip("authorizer", deps, tmp_path)).namelist()
    assert "app.py" in names
    assert "rel2rev/storage/api_keys.py" in names
    assert "pydantic/__init__.py" in names
    assert not [n for n in names if n.startswith(("boto3", "botocore"))]


@pytest.mark.parametrize("function", ["api", "authorizer"])
def test_light_handlers_import_without_the_modelling_stack(function: str) -> None:
    _cpu, _wall, heavy = import_time(function)
    assert heavy == []
