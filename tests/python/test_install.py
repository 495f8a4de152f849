"""cmake --install into a temporary prefix: the installed binary and Python package run the bundled
example from outside the source tree, and give the numbers the build tree gives."""
import json
import shutil
import subprocess
import sysconfig

from conftest import ROOT

BUILD = ROOT / "build" / "release"


def test_installed_binary_and_module_run_outside_the_source_tree(tmp_path):
    prefix, work = tmp_path / "prefix", tmp_path / "work"
    subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix], check=True, capture_output=True)
    assert (prefix / "share" / "doc" / "mqmon" / "cli.md").exists()
    assert (prefix / "share" / "doc" / "mqmon" / "README.md").exists()
    work.mkdir()
    shutil.copy(ROOT / "examples" / "validation.csv", work)
    env = {"PATH": f"{prefix / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}

    version = subprocess.run(["mqmon", "--version"], cwd=work, env=env, capture_output=True, text=True, check=True)
    assert version.stdout.strip() == "mqmon 0.1.0"
    args = ["suggest-baseline", "--baseline-dataset", "validation.csv", "--problem-type", "BinaryClassification",
            "--inference-attribute", "prediction", "--probability-attribute", "probability",
            "--ground-truth-attribute", "label", "--evaluation-time", "2024-01-01T00:00:00.000Z"]
    subprocess.run(["mqmon", *args, "--output", "cli"], cwd=work, env=env, check=True, capture_output=True)
    subprocess.run([BUILD / "mqmon", *args, "--output", tmp_path / "tree"], cwd=work, check=True,
                   capture_output=True)
    assert (work / "cli" / "statistics.json").read_text() == (tmp_path / "tree" / "statistics.json").read_text()
    # Scripts find the installed lib/mqmon/libmqmon_script.so.
    (work / "pre.py").write_text("def preprocess_handler(line):\n"
                                 "    p, pred, label = line.split(',')\n"
                                 "    return [] if p == 'probability' else "
                                 "{'probability': p, 'prediction': pred, 'label': label}\n")
    run = subprocess.run(["mqmon", *args, "--output", "scripted", "--record-preprocessor-script", "pre.py"],
                         cwd=work, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (work / "scripted" / "statistics.json").read_text() == (work / "cli" / "statistics.json").read_text()

    site = prefix / f"lib/python{sysconfig.get_python_version()}/dist-packages"
    script = """
import mqmon
from mqmon import ModelQualityMonitor, DatasetFormat
print(mqmon.__file__)
job = ModelQualityMonitor(role="r").suggest_baseline(
    baseline_dataset="validation.csv", dataset_format=DatasetFormat.csv(header=True), output_s3_uri="py",
    problem_type="BinaryClassification", inference_attribute="prediction", probability_attribute="probability",
    ground_truth_attribute="label", evaluation_time="2024-01-01T00:00:00.000Z")
"""
    run = subprocess.run(["/usr/bin/python3", "-c", script], cwd=work, env=dict(env, PYTHONPATH=str(site)),
                         capture_output=True, text=True, check=True)
    assert run.stdout.startswith(str(site)), run.stdout
    assert json.loads((work / "py" / "statistics.json").read_text()) == \
        json.loads((work / "cli" / "statistics.json").read_text())
