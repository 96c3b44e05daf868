"""The sweep agent: ask the server for a run, run it, heartbeat, stop it when told.

One loop for ``cairn agent`` (the program as a subprocess, with W&B's
environment and arguments) and ``agent.agent(function=...)`` (a function in
this process). The server going away does not end it: every call is retried
with backoff for ``CAIRN_AGENT_RETRY_FOR`` seconds (default 600) while the
current run goes on; a run already started spools as any run does.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from ._errors import ApiError, ServerError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

    from ._settings import Settings

DEFAULT_COMMAND = ["${env}", "${interpreter}", "${program}", "${args}"]


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        raise UsageError(f"{name} must be a number of seconds") from None


def _format(value: Any) -> str:
    """A parameter's value on the command line: JSON for lists and dicts, else str() (W&B's)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def build_command(config: dict[str, Any], params: dict[str, Any], param_file: str) -> list[str]:
    """The program's command: W&B's ``command`` with its macros expanded."""
    command = config.get("command") or DEFAULT_COMMAND
    program = config.get("program")
    out: list[str] = []
    for part in command:
        if part == "${env}":
            if sys.platform != "win32":
                out.append("/usr/bin/env")
        elif part == "${interpreter}":
            out.append(sys.executable or "python")
        elif part == "${program}":
            if not program:
                raise UsageError("the sweep has no `program` to run (or pass function= to agent.agent)")
            out.append(str(program))
        elif part == "${args}":
            out.extend(f"--{k}={_format(v)}" for k, v in params.items())
        elif part == "${args_no_hyphens}":
            out.extend(f"{k}={_format(v)}" for k, v in params.items())
        elif part == "${args_json}":
            out.append(json.dumps(params))
        elif part == "${args_json_file}":
            out.append(param_file)
        else:
            out.append(part)
    return out


def _die_with_parent() -> None:
    """In the child: SIGTERM when the agent dies, however it dies (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class SweepAgent:
    def __init__(
        self,
        settings: Settings,
        org: str,
        project: str,
        sweep_id: str,
        *,
        count: Optional[int] = None,
        function: Optional[Callable[[], Any]] = None,
        finish: Optional[Callable[[str, int], None]] = None,
        log: Callable[[str], None] = lambda m: print(f"cairn agent: {m}", file=sys.stderr, flush=True),
    ) -> None:
        from . import _http

        self.settings, self.org, self.project, self.sweep_id = settings, org, project, sweep_id
        self.count, self.function, self.finish, self.log = count, function, finish, log
        self.session = _http.session(settings.api_key)
        self.base = f"{settings.base_url}/api/v1/projects/{org}/{project}/sweeps/{sweep_id}"
        self.agent_id = f"{socket.gethostname()[:40]}-{uuid.uuid4().hex[:12]}".replace(" ", "-")
        self.heartbeat = _env_float("CAIRN_AGENT_HEARTBEAT", 10.0)
        self.grace = _env_float("CAIRN_AGENT_GRACE", 10.0)
        self.retry_for = _env_float("CAIRN_AGENT_RETRY_FOR", 600.0)
        self.cancelled = False
        self.config: dict[str, Any] = {}

    @property
    def path(self) -> str:
        return f"{self.org}/{self.project}/{self.sweep_id}"

    # --- the server ---------------------------------------------------------

    def _post(self, suffix: str, body: dict[str, Any], retry: bool = True) -> dict[str, Any]:
        """POST, retried through outages (network errors and 5xx) for retry_for seconds."""
        from . import _http

        deadline = time.monotonic() + self.retry_for
        backoff = _http.Backoff()
        while True:
            try:
                response = _http.request(self.session, "POST", f"{self.base}{suffix}", timeout=30.0, **_http.json_body(body))
                result = response.json()
                return result if isinstance(result, dict) else {}
            except ServerError as exc:
                if not retry or time.monotonic() > deadline:
                    raise
                delay = backoff.next_delay()
                self.log(f"the server is not answering ({exc}); again in {delay:.0f}s")
                time.sleep(delay)

    def _beat(self, run_id: Optional[str]) -> dict[str, Any]:
        try:
            return self._post(f"/agents/{self.agent_id}/heartbeat", {"runs": [run_id] if run_id else [], "host": socket.gethostname()[:255]}, retry=False)
        except ServerError:
            return {}  # the server is away: the run goes on, and so does the agent

    # --- the loop -----------------------------------------------------------

    def run(self) -> int:
        """Run until the sweep is done, cancelled or `count` runs are done; returns the runs run."""
        try:
            sweep = self._get_sweep()
        except ApiError as exc:
            raise UsageError(f"sweep {self.path}: {exc}") from None
        self.config = sweep.get("config") or {}
        done = 0
        self.log(f"sweep {self.path} ({sweep.get('method')}), agent {self.agent_id}")
        while not self.cancelled and (self.count is None or done < self.count):
            nxt = self._post("/next", {"agent": self.agent_id, "host": socket.gethostname()[:255]})
            action = nxt.get("action")
            if action == "wait":
                time.sleep(self.heartbeat)
                continue
            if action != "run":
                self.log(f"nothing more to run ({nxt.get('reason')})")
                break
            run_id, params = str(nxt["run_id"]), nxt.get("params") or {}
            self.log(f"run {run_id}: {json.dumps(params)}")
            if self.function is not None:
                self._run_function(run_id, params)
            else:
                self._run_program(run_id, params)
            done += 1
        return done

    def _get_sweep(self) -> dict[str, Any]:
        from . import _http

        result = _http.request(self.session, "GET", self.base, timeout=30.0).json()
        return result if isinstance(result, dict) else {}

    def _environment(self, run_id: str, param_file: str) -> dict[str, str]:
        return {
            "CAIRN_SWEEP_ID": self.path,
            "CAIRN_RUN_ID": run_id,
            "CAIRN_SWEEP_PARAM_PATH": param_file,
            "CAIRN_PROJECT": self.project,
            "CAIRN_ORG": self.org,
            "CAIRN_BASE_URL": self.settings.base_url or "",
            # W&B's names, for scripts that read them.
            "WANDB_SWEEP_ID": self.sweep_id,
            "WANDB_RUN_ID": run_id,
        }

    def _param_file(self, params: dict[str, Any]) -> str:
        fd, path = tempfile.mkstemp(prefix="cairn-sweep-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(params, fh)
        return path

    def _should_stop(self, beat: dict[str, Any], run_id: str) -> Optional[str]:
        if beat.get("state") == "cancelled":
            self.cancelled = True
            return "the sweep was cancelled"
        if run_id in (beat.get("stop") or []):
            return "stopped early by the server"
        return None

    def _run_program(self, run_id: str, params: dict[str, Any]) -> None:
        param_file = self._param_file(params)
        try:
            command = build_command(self.config, params, param_file)
            env = dict(os.environ, **self._environment(run_id, param_file))
            if self.settings.api_key:
                env["CAIRN_API_KEY"] = self.settings.api_key
            proc = subprocess.Popen(
                command, env=env, start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
            next_beat = 0.0
            while proc.poll() is None:
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + self.heartbeat
                    reason = self._should_stop(self._beat(run_id), run_id)
                    if reason:
                        self.log(f"run {run_id}: {reason}")
                        self._terminate(proc)
                        break
                try:
                    proc.wait(timeout=min(0.5, self.heartbeat))
                except subprocess.TimeoutExpired:
                    pass
            self.log(f"run {run_id} exited with {proc.returncode}")
        finally:
            os.unlink(param_file)

    def _terminate(self, proc: subprocess.Popen) -> None:
        """SIGTERM to the program's process group, SIGKILL after the grace period."""
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=self.grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            proc.wait()

    def _run_function(self, run_id: str, params: dict[str, Any]) -> None:
        """The function in this process, under the run's environment; a stop interrupts it."""
        import _thread
        import traceback

        param_file = self._param_file(params)
        saved = {k: os.environ.get(k) for k in self._environment(run_id, param_file)}
        os.environ.update(self._environment(run_id, param_file))
        stop = threading.Event()
        interrupted = threading.Event()

        def beat() -> None:
            while not stop.wait(self.heartbeat):
                reason = self._should_stop(self._beat(run_id), run_id)
                if reason and not interrupted.is_set():
                    self.log(f"run {run_id}: {reason}")
                    interrupted.set()
                    _thread.interrupt_main()

        thread = threading.Thread(target=beat, name="cairn-sweep-heartbeat", daemon=True)
        thread.start()
        exit_code = 0
        try:
            assert self.function is not None
            self.function()
        except KeyboardInterrupt:
            if not interrupted.is_set():
                raise
            exit_code = 143
        except Exception:
            traceback.print_exc()
            exit_code = 1
        finally:
            stop.set()
            thread.join()
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            os.unlink(param_file)
            if self.finish is not None:
                self.finish(run_id, exit_code)


def run_agent(
    sweep_path: str,
    *,
    function: Optional[Callable[[], Any]] = None,
    count: Optional[int] = None,
    project: Optional[str] = None,
    org: Optional[str] = None,
    finish: Optional[Callable[[str, int], None]] = None,
) -> int:
    """Shared by ``agent.agent`` and ``cairn agent``: resolve the sweep, run the loop."""
    from . import _http
    from ._settings import resolve
    from ._sweep import _org, parse_sweep_path

    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
        raise UsageError(f"count is a positive integer, not {count!r}")
    settings = resolve({"project": project, "org": org})
    if not settings.api_key:
        raise UsageError("sweeps need the server: run `cairn login` or set CAIRN_API_KEY")
    org_slug, project_slug, sweep_id = parse_sweep_path(sweep_path, settings.project, settings.org)
    if org_slug is None:
        settings.org = None
        org_slug = _org(settings, _http.session(settings.api_key))
    return SweepAgent(
        settings, org_slug, (project_slug or "uncategorized").lower(), sweep_id, count=count, function=function, finish=finish
    ).run()
