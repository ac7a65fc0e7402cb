# genlab — two commands for a fresh machine with Python 3.11:
#   make lab    set up what is missing, then open JupyterLab on the course (tiny model by default)
#   make test   set up what is missing, then run the whole test suite (what CI runs)
#
# Setup creates .venv/ here and installs genlab editable. On a machine without an NVIDIA GPU the
# light CPU build of torch is used (constraints/cpu.txt); with `nvidia-smi` present, or with
# `make setup TORCH_CONSTRAINTS=`, pip picks the torch build that fits the machine.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TORCH_CONSTRAINTS ?= $(if $(shell command -v nvidia-smi 2>/dev/null),,-c constraints/cpu.txt)
PORT ?=
# nbgrader runs helper commands (alembic, jupyter) by name: the venv's bin/ comes first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup lab test test-fast demo doctor report system-packages clean-venv

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints/cpu.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "genlab needs Python 3.11 or newer: install it, or run make PYTHON=/path/to/python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(TORCH_CONSTRAINTS) -e ".[dev]"
	@touch $@
	@echo "genlab is set up in $(VENV)/. Next: make lab (learn), make demo (studio), make test."

lab: setup
	$(BIN)/genlab lab $(if $(PORT),--port $(PORT))

demo: setup
	$(BIN)/genlab demo studio

doctor: setup
	$(BIN)/genlab doctor

report: setup
	$(BIN)/genlab report

# Browser tests drive Debian's Chromium (Playwright's own browser download needs the internet);
# safe autograding runs learners' notebooks under bubblewrap.
system-packages:
	@bash tools/install-system-packages.sh

test: setup system-packages
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest

test-fast: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -m "not slow"

clean-venv:
	rm -rf $(VENV)
