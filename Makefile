# Nimbostack: `make up` starts the whole cloud; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the cloud itself needs (hypervisor, image tools, networking).
APT_RUNTIME := python3-venv qemu-system-x86 qemu-utils genisoimage busybox-static novnc \
	e2fsprogs util-linux iproute2 dnsmasq-base iptables nftables haproxy
# Extra Debian packages the tests need (real message bus and database servers).
APT_TEST := rabbitmq-server postgresql wrk chromium tesseract-ocr tcpdump

.PHONY: up test deps test-deps venv lint unit tempest bench clean

up: deps venv
	$(BIN)/nimbostack up

test: test-deps venv
	$(MAKE) lint
	bash scripts/run-tests.sh

deps:
	@bash scripts/apt-install.sh $(APT_RUNTIME)

test-deps: deps
	@bash scripts/apt-install.sh $(APT_TEST)

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

lint: venv
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

tempest: venv
	bash scripts/tempest.sh $(TEMPEST_REGEX)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
