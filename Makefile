# webstack — the two commands a newcomer needs: `make dev` (the site locally, on an emulated AWS) and
# `make test` (every test). Both set up what they need on a fresh machine.

VENV    ?= .venv
PY      := $(VENV)/bin/python
STACK   ?= dev
# Debian packages the tests drive: the browser test, shellcheck for workflow scripts, Graphviz for diagrams.
SYSTEM_PACKAGES := chromium shellcheck graphviz
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Byte-compiled imports make a stack evaluation ~2 s faster; never skip writing them.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: dev test policy report verify bench venv system-packages clean

dev: venv
	$(PY) -m app.local

test: venv system-packages
	$(PY) -m pytest -q

policy: venv
	$(PY) -m policies.offline dev prd

report: venv system-packages
	$(PY) -m report $(STACK)

# After a `pulumi up` of your own (the pipelines run the same check after theirs): does ECS run what it deployed?
verify: venv
	@outputs=$$(mktemp); trap 'rm -f "$$outputs"' EXIT; \
	pulumi stack output --stack "$(STACK)" --json > "$$outputs" && \
	$(PY) -m release.verify --stack "$(STACK)" --outputs "$$outputs"

bench: venv
	$(PY) bench/api_load.py
	$(PY) bench/policy_check.py
	$(PY) bench/worker.py

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt policies/requirements.txt app/requirements.txt \
		release/requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache build
