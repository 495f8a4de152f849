"""The container image (Dockerfile, scripts/image). Where a container engine answers, the image is built
and run with a baseline job's environment; everywhere, the runtime stage is checked against what the
built binary needs."""
import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import MQMON

ROOT = Path(__file__).resolve().parents[2]
BASE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1"}  # in debian:12-slim


def runtime_packages():
    text = (ROOT / "Dockerfile").read_text()
    runtime = text[text.rindex("FROM debian:12-slim"):]
    install = re.search(r"apt-get install -y --no-install-recommends \\\n(.*?)\n &&", runtime, re.S).group(1)
    return set(install.replace("\\", " ").split())


def package_of(path):
    real = subprocess.run(["readlink", "-f", path], capture_output=True, text=True, check=True).stdout.strip()
    for candidate in (real, real.replace("/usr/lib/", "/lib/", 1)):
        found = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if found.returncode == 0:
            return found.stdout.split(":")[0]
    raise AssertionError(f"no Debian package holds {path}")


def needed_packages(binary):
    """The Debian packages of the libraries `binary` names as NEEDED."""
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                        subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout)
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(["ldd", binary], capture_output=True, text=True,
                                                                        check=True).stdout, re.M))
    return {package_of(resolved[name]) for name in needed if name in resolved}


def test_the_runtime_stage_has_every_library_the_binary_needs():
    packages = runtime_packages()
    script_library = Path(MQMON).parent / "libmqmon_script.so"
    for binary in (MQMON, script_library):
        missing = needed_packages(binary) - packages - BASE_PACKAGES
        assert not missing, f"{binary} needs {missing}, which the image does not install"
    # Loaded when used: SQLite (schedules) and Debian's python3 (scripts' workers).
    assert package_of("/usr/lib/x86_64-linux-gnu/libsqlite3.so.0") in packages
    assert package_of("/usr/bin/python3") in packages or "python3" in packages


def test_the_image_starts_the_container_mode():
    text = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["/opt/mqmon/bin/mqmon"]' in text and 'CMD ["container"]' in text
    # The build stage uses the project's own dependency script and release preset.
    assert "scripts/install-deps" in text and "cmake --preset release" in text


def engine():
    for candidate in ("docker", "podman"):
        try:
            if subprocess.run([candidate, "info"], capture_output=True, timeout=30).returncode == 0:
                return candidate
        except (FileNotFoundError, subprocess.TimeoutExpired):
            pass
    return None


def test_scripts_image_builds_and_runs_where_an_engine_answers(tmp_path):
    name = engine()
    run = subprocess.run([ROOT / "scripts" / "image", "mqmon:test"], capture_output=True, text=True, timeout=3600)
    if name is None:
        assert run.returncode == 3
        assert "no container engine answers" in run.stderr
        return
    if run.returncode == 3 and "base image" in run.stderr:
        assert "debian:12-slim is not present and cannot be pulled" in run.stderr
        return
    assert run.returncode == 0, run.stderr
    data = tmp_path / "ml" / "processing" / "input" / "baseline_dataset_input"
    data.mkdir(parents=True)
    (data / "data.csv").write_text("probability,prediction,label\n0.9,1,1\n0.2,0,0\n0.7,1,0\n0.4,0,1\n")
    env = {"analysis_type": "MODEL_QUALITY", "dataset_format": json.dumps({"csv": {"header": True}}),
           "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
           "output_path": "/opt/ml/processing/output", "problem_type": "BinaryClassification",
           "inference_attribute": "prediction", "probability_attribute": "probability",
           "ground_truth_attribute": "label"}
    args = [name, "run", "--rm", "-v", f"{tmp_path / 'ml'}:/opt/ml"]
    for k, v in env.items():
        args += ["-e", f"{k}={v}"]
    started = subprocess.run(args + ["mqmon:test"], capture_output=True, text=True, timeout=600)
    assert started.returncode == 0, started.stderr
    stats = json.loads((tmp_path / "ml" / "processing" / "output" / "statistics.json").read_text())
    assert stats["binary_classification_metrics"]["accuracy"]["value"] == 0.5
