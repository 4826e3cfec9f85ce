# Linli: two commands.
#   make run   install, build the demo database if missing, serve every page on localhost
#   make test  install (plus Debian chromium + CJK fonts for browser tests, PostgreSQL server
#              binaries for the store tests), run every test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.linli-installed

.PHONY: audit run test install test-deps demo screenshots benchmarks clean lab frontend

run: install demo
	$(VENV)/bin/linli serve

test: install test-deps
	$(PY) -m pytest

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,oracle]'  # oracle: pabutools reads our .pb in tests/security
	@touch $(STAMP)

# JupyterLab for planners on notebooks/planners (offline: no news, update or PyPI requests).
lab: install demo
	$(VENV)/bin/linli lab

# Builds the demo database only when it has no proposals yet (LINLI_DB, default var/linli.sqlite).
demo: install
	$(VENV)/bin/linli demo

# Browser tests drive Debian's chromium; Chinese text needs Noto CJK fonts; store tests also run
# on a throwaway PostgreSQL server (scripts/postgres.py) from Debian's postgresql package; notice PDFs
# (WeasyPrint) need Debian's pango libraries; the district test runs Debian's nginx and pgbouncer
# (unprivileged, own config under var/district; no system service is used).
test-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0" || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	command -v pgbouncer >/dev/null 2>&1 || test -x /usr/sbin/pgbouncer || missing="$$missing pgbouncer"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing (Debian packages)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Tests need Debian packages:$$missing. Run: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi

# Rebuild the resident widget client (frontend/) into templates/voila/templates/linli-resident: a
# developer's step after changing frontend/ (needs node and npm; the built files are committed).
frontend: install
	$(PY) scripts/build_frontend.py

# Only the layout audit over every real page, both languages, three states (make test runs it too).
audit: install test-deps
	$(PY) -m pytest -m audit_pages tests/browser/test_layout_audit_pages.py

# Regenerate README screenshots from the browser tests.
screenshots: install test-deps
	LINLI_UPDATE_SCREENSHOTS=1 $(PY) -m pytest tests/browser -q

benchmarks: install test-deps
	$(PY) benchmarks/page_load.py
	$(PY) benchmarks/kernel_rss.py
	$(PY) benchmarks/round_close.py
	$(PY) benchmarks/meeting.py --n 10 30 60 --client browser ws

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
