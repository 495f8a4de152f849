"""The README's command blocks, run as written from the repository's top folder, in order (later
blocks use what earlier ones wrote), so the README cannot drift from the program. Every block is
```sh or ```python; the commands left out are listed here, each with why."""
import os
import re
import shutil
import subprocess

from conftest import ROOT

README = (ROOT / "README.md").read_text()
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)

# Commands (after joining continuation lines) that the test leaves out, and why.
LEFT_OUT = {
    "scripts/test": "this test is part of scripts/test",
    "bench/": "benchmarks take minutes and are not tests",
    "--s3-endpoint http://127.0.0.1:9000": "needs an S3 store at that address; test_s3.py runs it against moto",
    "cmake --preset dev": "scripts/test builds the sanitizer preset before this test runs",
    "ctest --preset dev": "scripts/test runs it",
    "-m pytest tests/python": "this test is part of that run",
}


def commands(block):
    """The block's commands, continuation lines joined, without the ones left out."""
    lines = block.replace("\\\n", " ").splitlines()
    return [line for line in lines if line.strip() and not any(key in line for key in LEFT_OUT)]


def test_every_block_is_run_or_its_commands_are_listed_as_left_out():
    blocks = FENCE.findall(README)
    assert blocks and {lang for lang, _ in blocks} <= {"sh", "python"}, [lang for lang, _ in blocks]
    lines = [line for lang, b in blocks if lang == "sh" for line in b.replace("\\\n", " ").splitlines()]
    for key in LEFT_OUT:  # no stale entry that could hide a new command by accident
        assert any(key in line for line in lines), key


def test_readme_blocks_run_as_written():
    env = dict(os.environ, PYTHONPATH=str(ROOT / "build" / "release" / "python"))
    # What an earlier run of these blocks wrote (ignored by git): a newcomer starts without it.
    for folder in ("executions", "stage"):
        shutil.rmtree(ROOT / folder, ignore_errors=True)
    for lang, block in FENCE.findall(README):
        if lang == "python":
            run = subprocess.run(["/usr/bin/python3", "-c", block], cwd=ROOT, env=env, capture_output=True,
                                 text=True, timeout=300)
        else:
            script = "\n".join(commands(block))
            if not script:
                continue
            # A newcomer's shell has none of the test run's MQMON_ variables (the container mode
            # refuses one it does not know).
            shell = {k: v for k, v in os.environ.items() if not k.startswith("MQMON_")}
            run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=shell,
                                 capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, f"README block failed ({run.returncode}):\n{block}\n{run.stdout}\n{run.stderr}"
    # What the blocks promise is there.
    assert (ROOT / "results" / "constraints.json").exists()
    assert (ROOT / "results" / "container" / "statistics.json").exists()
    assert (ROOT / "results" / "report.html").exists()
    assert (ROOT / "executions" / "window" / "execution.json").exists()
    assert (ROOT / "executions" / "2024-05-01T10" / "statistics.json").exists()
    assert (ROOT / "stage" / "bin" / "mqmon").exists()
    assert (ROOT / "executions" / "scheduled" / "my-endpoint" / "example-hourly" / "2024" / "05" / "01" / "13" /
            "statistics.json").exists()


def test_docs_stand_alone():
    """Users of the repository have README.md and docs/ only: no citation of notes they lack."""
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text()
        for phrase in ("SPEC", "§", "seed page", "../shared"):
            assert phrase not in text, (path.name, phrase)
