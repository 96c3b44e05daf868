"""Who this process is among the writers of a run (docs/distributed.md).

Every process appending to a run is a writer with its own id, so the server
keeps its offsets apart from every other process's. In a shared run the id is
the process's label (from the user, else from the launcher's rank), so a rank
restarted under the same label continues its own offsets.
"""

from __future__ import annotations

import os
import re
import secrets
import socket

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Optional

WRITER_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:@-]+")
_NOT_RUN_ID = re.compile(r"[^A-Za-z0-9_-]+")

# (variable of the global rank, of the local rank, of the world size), in the
# order launchers are tried: torchrun (and Accelerate, DeepSpeed, Lightning
# under torchrun), SLURM, Open MPI, MPICH and Intel MPI.
_LAUNCHERS = (
    ("RANK", "LOCAL_RANK", "WORLD_SIZE"),
    ("SLURM_PROCID", "SLURM_LOCALID", "SLURM_NTASKS"),
    ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_SIZE"),
    ("PMI_RANK", "MPI_LOCALRANKID", "PMI_SIZE"),
)


def _int(environ: Mapping[str, str], name: str) -> Optional[int]:
    try:
        value = int(environ.get(name, ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def launcher_rank(environ: Optional[Mapping[str, str]] = None) -> Optional[dict[str, Any]]:
    """The global rank the launcher gave this process, or None when none did.

    >>> launcher_rank({"RANK": "3", "LOCAL_RANK": "1", "WORLD_SIZE": "8"})
    {'rank': 3, 'local_rank': 1, 'world_size': 8, 'from': 'RANK'}
    >>> launcher_rank({"SLURM_PROCID": "5"})["rank"]
    5
    """
    env = os.environ if environ is None else environ
    for rank_var, local_var, size_var in _LAUNCHERS:
        rank = _int(env, rank_var)
        if rank is not None:
            return {
                "rank": rank,
                "local_rank": _int(env, local_var),
                "world_size": _int(env, size_var),
                "from": rank_var,
            }
    # Lightning's own launcher: the node's rank and the rank on the node.
    local = _int(env, "LOCAL_RANK")
    if local is not None:
        node = _int(env, "NODE_RANK") or 0
        per_node = _int(env, "LOCAL_WORLD_SIZE")
        rank = node * per_node + local if per_node else (local if node == 0 else None)
        if rank is not None:
            return {"rank": rank, "local_rank": local, "world_size": _int(env, "WORLD_SIZE"), "from": "LOCAL_RANK"}
    return None


def _host() -> str:
    return socket.gethostname() or "host"


def label_check(label: str) -> str:
    if not isinstance(label, str) or not WRITER_ID.match(label):
        from ._errors import UsageError

        raise UsageError(f"label must match {WRITER_ID.pattern}, not {label!r}")
    return label


def writer_identity(
    *,
    shared: bool,
    label: Optional[str],
    primary: Optional[bool],
    environ: Optional[Mapping[str, str]] = None,
) -> dict[str, Any]:
    """What this process tells the server about itself when it opens a run.

    >>> w = writer_identity(shared=True, label=None, primary=None, environ={"RANK": "0"})
    >>> (w["id"], w["label"], w["primary"], w["rank"])
    ('rank-0', 'rank-0', True, 0)
    """
    found = launcher_rank(environ)
    rank = found["rank"] if found else None
    if label is not None:
        label = label_check(label)
    elif shared and rank is not None:
        label = f"rank-{rank}"
    else:
        label = _UNSAFE.sub("-", f"{_host()}-{os.getpid()}")[:64]
    if primary is None:
        primary = shared and rank == 0
    # A shared run's writer is its label: a rank restarted as itself continues
    # its offsets. Any other process is a writer of its own.
    writer_id = label if shared else f"p-{secrets.token_hex(6)}"
    return {
        "id": writer_id,
        "label": label,
        "host": _host(),
        "pid": os.getpid(),
        "primary": bool(primary),
        "shared": shared,
        "rank": rank,
    }


def shared_run_id(environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The job's id from the launcher, for a shared run given no id: every rank finds the same one."""
    env = os.environ if environ is None else environ
    for name in ("TORCHELASTIC_RUN_ID", "SLURM_JOB_ID", "OMPI_MCA_ess_base_jobid", "PBS_JOBID"):
        value = _NOT_RUN_ID.sub("-", env.get(name, "")).strip("-")
        if value and value != "none":
            return value[:64]
    return None
