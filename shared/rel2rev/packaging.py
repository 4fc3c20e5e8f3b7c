"""`make package`: prove the functions package for Lambda, without Docker.

1. The model job's pinned requirements (`functions/model_job/requirements.txt`) install for the
   Lambda platform of its image (pip `--platform manylinux_2_28_x86_64 --python-version 3.12
   --only-binary=:all:` into a temporary directory).
2. Each light (zip) function is built as Lambda would run it: its handler folder, the `rel2rev`
   package and the light dependencies installed for its architecture (arm64, Python 3.12);
   each zip must stay under 15 MB.
3. Each light handler imports in well under a second (cold start, measured in a fresh
   interpreter with the function's environment), without pulling in the modelling stack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JOB_REQUIREMENTS = ROOT / "functions" / "model_job" / "requirements.txt"
LIGHT_FUNCTIONS = ("ingest", "processor", "api", "authorizer")
LIGHT_PACKAGES = (
    "aws-lambda-powertools", "aws-xray-sdk", "pydantic", "pydantic-settings", "defusedxml",
)  # fmt: skip
"""What a zip function ships besides its code (boto3 comes with the Lambda runtime)."""
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six")
"""Packages the Lambda Python runtime already has: left out of the zips."""
HEAVY_MODULES = ("pandas", "numpy", "scipy", "lifelines", "pyarrow", "matplotlib")
MAX_ZIP_BYTES = 15 * 1024 * 1024
MAX_IMPORT_SECONDS = 1.0
JOB_PLATFORM = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
"""The image's platform, and the older manylinux tags its glibc (2.28+) also runs: pip does
not widen an explicit `--platform` to them by itself."""
ZIP_PLATFORMS = ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64")

_IMPORT_PROBE = """
import json, sys, time
started, cpu = time.perf_counter(), time.process_time()
import app
wall, cpu = time.perf_counter() - started, time.process_time() - cpu
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print(json.dumps({{"wall": wall, "cpu": cpu, "heavy": heavy}}))
"""


@dataclass(frozen=True)
class FunctionPackage:
    """What was measured for one zip function."""

    name: str
    zip_bytes: int
    import_cpu_seconds: float
    import_wall_seconds: float
    heavy_modules: list[str]

    @property
    def ok(self) -> bool:
        """Small enough, fast enough (CPU time: wall time depends on the machine's load)."""
        return (
            self.zip_bytes < MAX_ZIP_BYTES
            and self.import_cpu_seconds < MAX_IMPORT_SECONDS
            and not self.heavy_modules
        )


def pip_install(
    target: Path, requirements: list[str], platforms: tuple[str, ...], *, python: str = "3.12"
) -> None:
    """Install wheels for a Lambda platform into `target` (raises with pip's output)."""
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(target), "--python-version", python, "--implementation", "cp",
        "--only-binary=:all:", "--no-compile",
    ]  # fmt: skip
    for platform in platforms:
        command += ["--platform", platform]
    done = subprocess.run([*command, *requirements], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pip could not install for {platforms}:\n{done.stderr[-4000:]}")


def light_requirements() -> list[str]:
    """The light dependencies pinned to the versions this checkout is developed with."""
    return [f"{name}=={version(name)}" for name in LIGHT_PACKAGES]


def _provided(top: str) -> bool:
    name = top.removesuffix(".py").split("-")[0].lower()
    return name in RUNTIME_PROVIDED or name.replace("python_", "") in RUNTIME_PROVIDED


def _add_tree(archive: zipfile.ZipFile, folder: Path, prefix: str = "") -> None:
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        if _provided(relative.parts[0]):
            continue
        archive.write(path, prefix + relative.as_posix())


def build_zip(name: str, dependencies: Path, out_dir: Path) -> Path:
    """The deployment zip of one light function: handler, `rel2rev`, dependencies."""
    path = out_dir / f"{name}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _add_tree(archive, ROOT / "functions" / name)
        _add_tree(archive, ROOT / "shared" / "rel2rev", "rel2rev/")
        _add_tree(archive, dependencies)
    return path


def function_environment(name: str) -> dict[str, str]:
    """Plausible values for every variable a function's settings require at cold start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REL2REV_", "AWS_"))}
    env.update(
        {
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_SERVICE_NAME": "rel2rev",
            "POWERTOOLS_METRICS_NAMESPACE": "rel2rev",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "REL2REV_TABLE_NAME": "records",
            "REL2REV_ARCHIVE_BUCKET": "archive",
            "REL2REV_EVENTS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/events",
            "REL2REV_RESULTS_TABLE": "results",
            "REL2REV_EXPORTS_BUCKET": "exports",
            "REL2REV_RUNS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/runs",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "functions" / name), str(ROOT / "shared")]),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def import_time(name: str) -> tuple[float, float, list[str]]:
    """Cold import of the handler in a fresh interpreter: CPU and wall seconds, heavy modules."""
    probe = _IMPORT_PROBE.format(heavy=HEAVY_MODULES)
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        env=function_environment(name),
        cwd=ROOT / "functions" / name,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name} handler does not import:\n{done.stderr[-4000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    return float(measured["cpu"]), float(measured["wall"]), list(measured["heavy"])


def main() -> int:
    """Run every check and print what was measured; non-zero exit on any failure."""
    with tempfile.TemporaryDirectory(prefix="rel2rev-package-") as tmp:
        work = Path(tmp)
        requirements = [
            line.strip()
            for line in JOB_REQUIREMENTS.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        pip_install(work / "job", requirements, JOB_PLATFORM)
        job_bytes = sum(p.stat().st_size for p in (work / "job").rglob("*") if p.is_file())
        unpacked = f"{job_bytes / 2**20:.0f} MB unpacked"
        print(
            f"model job: {len(requirements)} pinned requirements install for "
            f"{JOB_PLATFORM[0]} / cp312 ({unpacked})"
        )
        pip_install(work / "light", light_requirements(), ZIP_PLATFORMS)
        results = []
        for name in LIGHT_FUNCTIONS:
            archive = build_zip(name, work / "light", work)
            cpu, wall, heavy = import_time(name)
            results.append(FunctionPackage(name, archive.stat().st_size, cpu, wall, heavy))
    failed = False
    for package in results:
        state = "ok" if package.ok else "FAIL"
        failed |= not package.ok
        print(
            f"{package.name:<11} zip {package.zip_bytes / 2**20:5.1f} MB (< 15)  "
            f"import {package.import_cpu_seconds * 1000:5.0f} ms CPU (< 1000), "
            f"{package.import_wall_seconds * 1000:5.0f} ms wall  "
            f"heavy modules: {', '.join(package.heavy_modules) or 'none'}  {state}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
