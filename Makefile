# Two commands for a fresh machine:
#   make deploy   virtualenv + local emulator + site.yml on it, then a summary
#   make test     the whole test suite
SHELL := /bin/bash
VENV ?= $(CURDIR)/.venv
INVENTORY ?= inventories/local
EMULATOR_PORT ?= 5000
export VENV EMULATOR_PORT
BIN := $(VENV)/bin
ANSIBLE_ENV := PATH="$(BIN):$$PATH" ANSIBLE_CONFIG=$(CURDIR)/ansible.cfg

.PHONY: venv deploy test matrix unit integration installed molecule lint sanity docs emulator-start emulator-stop emulator-reset teardown report bench deployer-policy clean

venv:
	@scripts/venv.sh

emulator-start: venv
	@scripts/emulator.sh start

emulator-stop:
	@scripts/emulator.sh stop

emulator-reset:
	@scripts/emulator.sh reset

## Build the stack on the local emulator (or on $AWS_ENDPOINT_URL / real AWS with INVENTORY=...).
deploy: emulator-start
	$(ANSIBLE_ENV) $(BIN)/ansible-playbook site.yml -i $(INVENTORY)

teardown: venv
	$(ANSIBLE_ENV) $(BIN)/ansible-playbook playbooks/teardown.yml -i $(INVENTORY) -e confirm_teardown=$(CONFIRM)

report: venv
	$(ANSIBLE_ENV) $(BIN)/ansible-playbook playbooks/report.yml -i $(INVENTORY)

## The whole test suite: lint, sanity, unit, module integration, stack tests, Molecule.
test: venv
	@scripts/test.sh all

## The ansible-core matrix (tests/matrix/ansible-core.txt): sanity, unit, installed converge + rerun on each.
matrix: venv
	@scripts/matrix.sh

unit: venv
	@scripts/test.sh unit

integration: venv
	@scripts/test.sh integration

## The built tarball installed into an empty collections path: apranova.aws_stack.site converges, then changed=0.
installed: venv
	@scripts/test.sh installed

molecule: venv
	@scripts/test.sh molecule

lint: venv
	@scripts/test.sh lint

sanity: venv
	@scripts/test.sh sanity

## The documentation site (modules, filters, roles) with antsibull-docs: build/docs/build/html/index.html
DOCS_DIR ?= $(CURDIR)/build/docs
docs: venv
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-docs-theme.txt
	rm -rf $(DOCS_DIR) && mkdir -p $(DOCS_DIR)
	$(ANSIBLE_ENV) ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/collections $(BIN)/antsibull-docs sphinx-init --use-current --dest-dir $(DOCS_DIR) apranova.aws_stack
	# Not -W: links to docs.ansible.com (common_return_values, amazon.aws/community.aws modules)
	# need intersphinx, which fetches from the net; offline they stay warnings.
	sed -i 's/ -W --keep-going/ --keep-going/' $(DOCS_DIR)/build.sh
	$(ANSIBLE_ENV) ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/collections $(DOCS_DIR)/build.sh
	@echo "docs: $(DOCS_DIR)/build/html/index.html"

bench: venv
	$(ANSIBLE_ENV) $(BIN)/python scripts/bench.py

## The deployer's least-privilege IAM policy (docs/deployer-policy.json); LOG=calls.jsonl regenerates it from
## a scripts/aws_proxy.py --log of a lifecycle run (docs/deployer-policy.md).
deployer-policy: venv
	@$(BIN)/python scripts/deployer_policy.py $(if $(LOG),--log $(LOG) --out docs/deployer-policy.json) && cat docs/deployer-policy.json

clean: emulator-stop
	rm -rf .emulator reports .pytest_cache
