#!/usr/bin/env bash
# Creates the peers' environments used by bench/peers/*.py.
#
# The peers (MLflow, W&B, Aim) live apart from our server's .venv so their
# dependency pins cannot leak into ours. Idempotent: a venv whose packages
# already import is left alone. Aim goes to a venv of its own when it will not
# install beside the others on Python 3.11 (it has pinned older Pythons before).
#
#   bash bench/setup-peers.sh          # create/refresh bench/.venv-peers
#   FORCE=1 bash bench/setup-peers.sh  # reinstall even when present
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-peers"
aim_venv="$here/.venv-aim"
py="${PEERS_PYTHON:-python3.11}"

# The version measured for the published reference figures; nearest 3.x if gone.
mlflow_pin="${MLFLOW_PIN:-mlflow==3.17.*}"
common=(wandb psycopg2-binary psutil numpy)

log() { printf '[setup-peers] %s\n' "$*" >&2; }

have() {  # have VENV MODULE... -> 0 when every module imports
  local v="$1"; shift
  [[ -x "$v/bin/python" ]] || return 1
  "$v/bin/python" - "$@" <<'EOF' 2>/dev/null
import importlib, sys
for m in sys.argv[1:]:
    importlib.import_module(m)
EOF
}

make_venv() {  # make_venv PYTHON DIR
  if [[ ! -x "$2/bin/python" ]]; then
    log "creating $2 with $1"
    "$1" -m venv "$2"
    "$2/bin/python" -m pip install -q --upgrade pip
  fi
}

if [[ -z "${FORCE:-}" ]] && have "$venv" mlflow wandb psycopg2 psutil numpy \
   && { have "$venv" aim || have "$aim_venv" aim; }; then
  log "already installed: $("$venv/bin/python" -c 'import mlflow, wandb; print("mlflow", mlflow.__version__, "wandb", wandb.__version__)' 2>/dev/null)"
  exit 0
fi

make_venv "$py" "$venv"
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)

if ! "${pip[@]}" "$mlflow_pin" "${common[@]}"; then
  # Pin unavailable: take the newest 3.x rather than jumping to a 4.x with a
  # different API.
  log "$mlflow_pin not installable; falling back to mlflow>=3,<4"
  "${pip[@]}" "mlflow>=3,<4" "${common[@]}"
fi

# Aim: try it beside the others first; its pins (e.g. on protobuf, SQLAlchemy)
# can clash with MLflow's, so check MLflow still imports afterwards.
if ! have "$venv" aim; then
  if "${pip[@]}" aim && have "$venv" mlflow aim; then
    log "aim installed in $venv"
  else
    log "aim does not fit in $venv; trying a separate $aim_venv"
    # Undo a half-install that could have downgraded MLflow's dependencies.
    "$venv/bin/python" -m pip uninstall -q -y aim aimrecords aimrocks aim-ui 2>/dev/null || true
    "${pip[@]}" "$mlflow_pin" "${common[@]}" >/dev/null 2>&1 || true
    for alt in python3.11 python3.10 python3.9; do
      command -v "$alt" >/dev/null || continue
      rm -rf "$aim_venv"
      make_venv "$alt" "$aim_venv"
      if "$aim_venv/bin/python" -m pip install -q --disable-pip-version-check aim psutil numpy \
         && have "$aim_venv" aim; then
        log "aim installed in $aim_venv ($alt)"
        break
      fi
      log "aim failed on $alt"
      rm -rf "$aim_venv"
    done
  fi
fi

"$venv/bin/python" - <<'EOF' >&2
from importlib import metadata
for m in ("mlflow", "wandb", "aim", "psycopg2-binary", "psutil", "numpy"):
    try:
        print(f"[setup-peers] {m} {metadata.version(m)}")
    except metadata.PackageNotFoundError:  # aim may live in .venv-aim instead
        print(f"[setup-peers] {m} not installed here")
EOF
