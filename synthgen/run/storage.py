"""Output locations given as fsspec URLs (``s3://bucket/run``, ``memory://run``, ``file://...``).

Runs write into local staging folders and upload finished files: the workers upload each
sample's files as soon as they are written (so a Ray cluster needs no shared file
system), the driver uploads a folder's dataset-level files when the folder is finalized,
``run.json`` last: a remote folder whose ``run.json`` says complete is complete. Plain
local paths do not come here; they are written in place.

Object stores have no links: a linked file is uploaded as a copy of its target, and a
link to a folder (FUNSD's ``images``) is left out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synthgen.errors import OutputError
from synthgen.run.manifest import RUN_FILE


def is_url(target: str | Path) -> bool:
    """Whether ``--out`` names an fsspec location rather than a local folder."""
    return isinstance(target, str) and "://" in target


class Remote:
    """One output folder on an fsspec file system; paths inside it are relative."""

    def __init__(self, url: str) -> None:
        import fsspec

        self.url = url.rstrip("/")
        try:
            self.fs, self.path = fsspec.core.url_to_fs(self.url)
        except (ImportError, ValueError) as err:
            raise OutputError(
                f"{url}: cannot open this location ({err}); install the fsspec backend for "
                "its protocol (s3fs for s3://, gcsfs for gs://)"
            ) from None
        self._dirs: set[str] = set()

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url}  # workers reopen the file system themselves

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"])  # type: ignore[misc]

    def child(self, rel: str) -> str:
        return f"{self.path}/{rel}" if rel else self.path

    def read_json(self, rel: str) -> dict[str, Any] | None:
        path = self.child(rel)
        if not self.fs.exists(path):
            return None
        try:
            data: dict[str, Any] = json.loads(self.fs.cat_file(path))
        except (json.JSONDecodeError, OSError) as err:
            raise OutputError(f"{self.url}/{rel}: unreadable run record ({err})") from None
        return data

    def is_empty(self) -> bool:
        return not self.fs.exists(self.path) or not self.fs.ls(self.path)

    def remove(self, rel: str = "") -> None:
        path = self.child(rel)
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)
        self._dirs.clear()

    def upload(self, local: Path, rel: str) -> None:
        """One file (a link: its target's bytes)."""
        path = self.child(rel)
        parent = path.rsplit("/", 1)[0]
        if parent not in self._dirs:
            self.fs.makedirs(parent, exist_ok=True)
            self._dirs.add(parent)
        self.fs.put_file(str(local), path)

    def upload_folder(self, local: Path, rel: str = "", *, recursive: bool = True) -> None:
        """Every file under ``local`` to ``rel``, its ``run.json`` last."""
        run_file = None
        for path, sub in local_files(local, recursive=recursive):
            if sub == RUN_FILE:
                run_file = path
            else:
                self.upload(path, f"{rel}/{sub}" if rel else sub)
        if run_file is not None:
            self.upload(run_file, f"{rel}/{RUN_FILE}" if rel else RUN_FILE)

    def download(self, rel: str, local: Path) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        self.fs.get_file(self.child(rel), str(local))

    def download_folder(self, rel: str, local: Path) -> None:
        base = self.child(rel)
        for path in self.fs.find(base):
            target = local / os.path.relpath(path, base)
            target.parent.mkdir(parents=True, exist_ok=True)
            self.fs.get_file(path, str(target))


def local_files(root: Path, *, recursive: bool = True) -> Iterator[tuple[Path, str]]:
    """Files under ``root`` with their relative paths; links to folders left out."""
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        for name in sorted(files):
            path = base / name
            if path.exists():  # not a dangling link
                yield path, os.path.relpath(path, root).replace(os.sep, "/")
        if not recursive:
            break
        dirs.sort()


def folder_links(root: Path) -> dict[str, str]:
    """The links to folders under ``root`` (VOC's JPEGImages, FUNSD's images), by path."""
    links = {}
    for folder, dirs, _ in os.walk(root):
        for name in sorted(dirs):
            path = Path(folder) / name
            if path.is_symlink():
                links[os.path.relpath(path, root).replace(os.sep, "/")] = os.readlink(path)
    return dict(sorted(links.items()))
