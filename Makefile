# Everything a fresh machine needs, in order. `make demo` and `make test` are the entry points.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8080
STAMPS := .stamps

.PHONY: demo pingpong test test-fast test-matrix bench bench-handshake servers assets venv clean

# The in-process tier: our own logic and apps spoken to with tgext.socketio.testing; no
# servers, brokers or browsers (well under a minute). `make test` runs everything.
FAST_TESTS := tests/test_layers.py tests/test_public_api.py tests/edge/test_overrides.py \
              tests/edge/test_handoff.py tests/namespaces/test_handlers.py tests/namespaces/test_hooks.py \
              tests/namespaces/test_in_process.py tests/namespaces/test_mailbox.py \
              tests/app/test_mounting.py tests/cli/test_options.py tests/pubsub/test_backend_registry.py \
              tests/widgets/test_widget_rendering.py

demo: venv assets
	$(PY) examples/chat/app.py --port $(PORT) --backend memory://

pingpong: venv assets
	$(PY) examples/pingpong/app.py --port $(PORT)

# bench/our_app.py (started as a script by the benchmarks and tests/product/test_bench.py) imports the
# examples package, which an install does not provide: the checkout goes on PYTHONPATH.
# Two workers (pytest-xdist), a test file each at a time: most tests wait on servers, brokers
# and browsers, so the suite takes about half the time it takes serially.
test: venv assets servers
	PYTHONPATH=$(CURDIR) $(PY) -m pytest -n 2 --dist loadfile --durations=20 tests

test-fast: venv assets
	PYTHONPATH=$(CURDIR) $(PY) -m pytest -q $(FAST_TESTS)

# The socket tests at the lowest and the highest versions setup.py allows of python-socketio,
# python-engineio, gevent and gevent-websocket (tests/matrix/*.txt), each in its own venv.
test-matrix: assets servers
	PYTHON=$(PYTHON) bash tests/matrix/run.sh

# Benchmarks: prints the table, writes docs/benchmarks/{results.jsonl,README.md,benchmarks.png}.
bench: venv assets servers
	PYTHONPATH=$(CURDIR) $(PY) -m bench.run

# Where a handshake's time goes: ours against ours with less of TurboGears, and python-socketio
# (writes docs/benchmarks/handshake.md).
bench-handshake: venv assets
	PYTHONPATH=$(CURDIR) $(PY) -m bench.handshake

venv: $(STAMPS)/venv
$(STAMPS)/venv: setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade 'pip>=24' 'setuptools<82' wheel
	$(PY) -m pip install --quiet -e '.[redis,amqp,mongo,test,bench]'
	mkdir -p $(STAMPS) && touch $@

assets: $(STAMPS)/assets
$(STAMPS)/assets: public/package.json public/package-lock.json
	cd public && npm ci --no-audit --no-fund
	mkdir -p $(STAMPS) && touch $@

# The real servers the tests start on free loopback ports (Debian packages; needs root).
# PostgreSQL (tests/live/test_outbox.py) runs from /usr/lib/postgresql/*/bin, as nobody when root.
servers:
	@missing=""; \
	for bin in redis-server:redis-server rabbitmq-server:rabbitmq-server chromium:chromium nginx:nginx-light; do \
		command -v $${bin%%:*} >/dev/null 2>&1 || test -x /usr/sbin/$${bin%%:*} || test -x /usr/lib/rabbitmq/bin/$${bin%%:*} || missing="$$missing $${bin##*:}"; \
	done; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "run as root, or install:$$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@# Debian starts the services it installs: the tests run their own, so stop those.
	-@systemctl stop redis-server rabbitmq-server nginx postgresql >/dev/null 2>&1 || true

clean:
	rm -rf $(VENV) $(STAMPS) public/node_modules build dist tgext/socketio/static/vendor
