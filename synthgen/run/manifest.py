"""The run's records on disk: ``run.json`` (what and how far) and ``manifest.jsonl``.

The manifest holds one JSON line per finished sample, in index order, written only after
all of that sample's files are in place. A killed run leaves at most one partial last
line; ``recover`` cuts it off, and the run continues from the first missing index, so a
resumed run has no gap and no duplicate.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from synthgen.errors import OutputError
from synthgen.files import atomic_write_text

RUN_FILE = "run.json"
MANIFEST_FILE = "manifest.jsonl"


def read_run_info(root: Path) -> dict[str, Any] | None:
    path = root / RUN_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, OSError) as err:
        raise OutputError(
            f"{path}: unreadable run record ({err}); use a new --out folder"
        ) from None


def write_run_info(root: Path, info: dict[str, Any]) -> None:
    atomic_write_text(root / RUN_FILE, json.dumps(info, indent=2, sort_keys=True) + "\n")


class Manifest:
    """Append-only, index-ordered sample records."""

    def __init__(self, root: Path, first: int = 0) -> None:
        self.path = root / MANIFEST_FILE
        self.first = first  # a shard's manifest starts at its first global index
        self._file: BinaryIO | None = None

    def recover(self) -> int:
        """Counts complete records, cutting off a partial last line; returns the next index."""
        if not self.path.exists():
            return self.first
        good_bytes, count = 0, 0
        with open(self.path, "rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    break
                try:
                    index = orjson.loads(line)["index"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    break
                if index != self.first + count:
                    raise OutputError(
                        f"{self.path}: record {count} has index {index}, not "
                        f"{self.first + count}; the manifest is "
                        "damaged, start again with --overwrite"
                    )
                good_bytes += len(line)
                count += 1
        with open(self.path, "r+b") as f:
            f.truncate(good_bytes)
        return self.first + count

    def open(self) -> None:
        self._file = open(self.path, "ab")  # noqa: SIM115 (held for the run)

    def append(self, line: bytes) -> None:
        assert self._file is not None
        self._file.write(line + b"\n")

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def records(self) -> Iterator[dict[str, Any]]:
        """Streams the records in index order without loading the file."""
        with open(self.path, "rb") as f:
            for line in f:
                yield orjson.loads(line)
