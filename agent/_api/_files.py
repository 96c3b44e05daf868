"""A run's files, as W&B's public API has them: ``run.files()``, ``run.file(name)``."""

from __future__ import annotations

import os
import urllib.parse

from .._errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any, Optional

    from ._client import Api


class File:
    """A file of a run: ``name`` (its path in the run), ``size``, ``sha256``,
    ``mimetype``, ``updated_at``, ``url``.

    W&B's ``md5`` is None: the server keeps a SHA-256 (``sha256``).
    """

    md5: Optional[str] = None

    def __init__(self, api: Api, run_path: str, data: dict[str, Any]) -> None:
        self._api = api
        self._run_path = run_path
        self.name: str = data["path"]
        self.size: Optional[int] = data.get("size")
        self.sha256: Optional[str] = data.get("sha256")
        self.mimetype: Optional[str] = data.get("content_type")
        self.updated_at: Optional[str] = data.get("updated_at")

    @property
    def path(self) -> str:
        """The file's path in the run; the same as ``name`` (Cairn's earlier name)."""
        return self.name

    @property
    def url(self) -> str:
        """Where the API serves the bytes (send the API key)."""
        return self._api._url(self._run_path + "/files/" + urllib.parse.quote(self.name, safe="/"))

    @property
    def direct_url(self) -> str:
        return self.url

    def download(self, root: str = ".", replace: bool = False, exist_ok: bool = False) -> IO[str]:
        """Download into ``root``, keeping the file's relative path; returns the local file, open
        for reading as W&B does (``.name`` is its path).

        A local file already there raises ``ValueError`` unless ``replace`` (download
        again) or ``exist_ok`` (keep the local one).

        >>> run.file("weights.bin").download(root="out", replace=True).name  # doctest: +SKIP
        'out/weights.bin'
        """
        target = os.path.join(root, *self.name.split("/"))
        if os.path.exists(target) and not replace:
            if not exist_ok:
                raise ValueError(f"File already exists, pass replace=True to overwrite: {target}")
            return open(target)  # noqa: SIM115 - the caller owns it, as with W&B
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        response = self._api._get(self.url, stream=True)
        tmp = target + ".part"
        with response, open(tmp, "wb") as fh:
            for chunk in response.iter_content(1 << 20):
                fh.write(chunk)
        os.replace(tmp, target)
        return open(target)  # noqa: SIM115

    def delete(self) -> None:
        raise UsageError("deleting one file of a run is not supported: the server keeps a run's files until the run is deleted")

    def __repr__(self) -> str:
        return f"<File {self.name} ({self.mimetype}) {self.size}>"


def files_select(api: Api, run_path: str, names: Optional[list[str]] = None) -> list[File]:
    """The run's files, all of them or those named (in the order named, missing ones left out)."""
    items = api._json(run_path + "/files/")
    if isinstance(items, dict):
        items = items.get("results") or []
    files = [File(api, run_path, item) for item in items]
    if names is None:
        return files
    if isinstance(names, str):
        names = [names]
    by_name = {f.name: f for f in files}
    return [by_name[n] for n in names if n in by_name]
