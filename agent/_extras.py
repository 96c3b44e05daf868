"""W&B's module functions around a run: ``login``, ``restore``, ``termlog`` and friends."""

from __future__ import annotations

import os
import sys

from ._errors import UsageError
from ._settings import load_stored, resolve, write_stored

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import IO, Any, Optional, Union

    from ._run import Run


def login(
    key: Optional[str] = None,
    host: Optional[str] = None,
    relogin: Optional[bool] = None,
    anonymous: Optional[str] = None,
    timeout: Optional[int] = None,
    verify: Optional[bool] = None,
    **ignored: Any,
) -> bool:
    """Make an API key known, like ``cairn login``; True when one is.

    With ``key`` it is stored (``~/.config/cairn/settings.json``, with
    ``host`` as the server); without, a key from ``CAIRN_API_KEY`` or an
    earlier login is enough (``relogin=True`` asks again on a terminal).
    ``verify=True`` checks the key with the server (``AuthError`` if refused).

    >>> import agent
    >>> agent.login(key="k", host="http://127.0.0.1:9", verify=False)  # doctest: +SKIP
    True
    """
    settings = resolve({"base_url": host, "api_key": key, "mode": "online"})
    if key is None and (relogin or not settings.api_key):
        if not sys.stdin or not sys.stdin.isatty():
            raise UsageError(
                "no API key: pass login(key=...), set CAIRN_API_KEY or run `cairn login`"
            )
        import getpass

        key = getpass.getpass(f"API key for {settings.base_url}: ").strip()
        if not key:
            raise UsageError("no API key given")
        settings.api_key = key
    if verify:
        from . import _http

        _http.request(
            _http.session(settings.api_key),
            "GET",
            f"{settings.base_url}/api/v1/viewer",
            timeout=float(timeout or 10),
        )
    if key is not None:
        values: dict[str, Any] = {"api_key": key}
        if host is not None or "base_url" not in load_stored():
            values["base_url"] = settings.base_url
        write_stored(values)
    return True


def restore(
    name: str,
    run_path: Optional[str] = None,
    replace: bool = False,
    root: Optional[str] = None,
    run: Optional[Run] = None,
) -> Optional[IO[str]]:
    """Download file ``name`` of ``run_path`` (``"entity/project/id"``, default: this run) and open it.

    It goes into ``root`` (default: the working directory), keeping its
    relative path; a file already there is used as is unless ``replace``.
    None when the run has no such file.
    """
    from ._api import Api
    from ._errors import NotFound

    if run_path is None:
        if run is None or run.mode == "disabled":
            raise UsageError("restore() needs run_path= or a current run")
        api = Api(base_url=run.settings.base_url, api_key=run.settings.api_key)
        run_path = run.path
        if not run.org:
            run_path = f"{api.viewer().get('default_org')}/{run.project}/{run.id}"
    else:
        api = Api(
            base_url=run.settings.base_url if run else None,
            api_key=run.settings.api_key if run else None,
        )
    target_root = root or os.getcwd()
    local = os.path.join(target_root, *name.split("/"))
    if not (os.path.exists(local) and not replace):
        try:
            with api.run(run_path).file(name).download(root=target_root, replace=True) as fh:
                local = fh.name  # W&B's File.download returns the file, open
        except NotFound:
            return None
    return open(local, encoding="utf-8", errors="replace")


def _term(prefix: str, string: str, newline: bool, repeat: bool) -> None:
    key = (prefix, string)
    if not repeat and key in _said:
        return
    _said.add(key)
    try:
        sys.stderr.write(f"cairn: {prefix}{string}" + ("\n" if newline else ""))
    except Exception:
        pass


_said: set[tuple[str, str]] = set()


def termlog(string: str = "", newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    """Print a line on stderr, as the agent prints its own (W&B's ``termlog``)."""
    _term("", string, newline, repeat)


def termwarn(string: str, newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    _term("WARNING ", string, newline, repeat)


def termerror(string: str, newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    _term("ERROR ", string, newline, repeat)


def require(requirement: Union[str, Sequence[str], None] = None, experiment: Any = None) -> None:
    """W&B's ``require("service")`` and the like: W&B's opt-ins to features Cairn has always or never.

    >>> require("service")
    """
    return None
