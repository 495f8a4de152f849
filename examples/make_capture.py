#!/usr/bin/python3
"""Writes the bundled monitoring examples from validation.csv: an hour of captured inferences
(capture/my-endpoint/AllTraffic/2024/05/01/10/) and their labels, collected two hours later
(ground-truth/my-endpoint/2024/05/01/12/), in the service's data-capture and ground-truth formats;
and window.csv, a labelled window as plain CSV (the other rows). Deterministic: running it again
writes the same files."""
import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROWS = 300  # the first rows of validation.csv, one inference every 12 seconds


def main():
    with open(HERE / "validation.csv") as f:
        lines = f.readlines()
    with open(HERE / "window.csv", "w") as f:
        f.writelines([lines[0]] + lines[1 + ROWS:])
    rows = list(csv.DictReader(lines))[:ROWS]
    start = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    capture_dir = HERE / "capture" / "my-endpoint" / "AllTraffic" / "2024" / "05" / "01" / "10"
    labels_dir = HERE / "ground-truth" / "my-endpoint" / "2024" / "05" / "01" / "12"
    capture_dir.mkdir(parents=True, exist_ok=True)
    labels_dir.mkdir(parents=True, exist_ok=True)
    with open(capture_dir / "10-00-00-000-example.jsonl", "w") as cap, \
            open(labels_dir / "12-00-00-000-example.jsonl", "w") as lab:
        for i, row in enumerate(rows):
            t = (start + timedelta(seconds=12 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            inference_id = f"inference-{i:04d}"
            cap.write(json.dumps({
                "captureData": {
                    "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                      "data": f"{i},{i % 7}", "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                       "data": row["probability"], "encoding": "CSV"}},
                "eventMetadata": {"eventId": f"event-{i:04d}", "inferenceId": inference_id,
                                  "inferenceTime": t},
                "eventVersion": "0"}) + "\n")
            lab.write(json.dumps({
                "groundTruthData": {"data": row["label"], "encoding": "CSV"},
                "eventMetadata": {"eventId": inference_id},
                "eventVersion": "0"}) + "\n")


if __name__ == "__main__":
    main()
