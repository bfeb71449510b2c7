#!/bin/bash
# `make test-matrix`: the socket tests against the lowest and the highest versions of
# python-socketio, python-engineio, gevent and gevent-websocket that setup.py allows,
# each in a virtualenv of its own (.venv-matrix-lowest, .venv-matrix-highest).
set -euo pipefail
cd "$(dirname "$0")/../.."
SOCKET_TESTS="tests/test_overrides.py tests/test_units.py tests/test_in_process.py tests/test_abuse.py tests/test_recovery.py tests/test_namespaces.py
              tests/test_errors_and_auth.py tests/test_pingpong.py tests/test_hardening.py
              tests/test_security.py"
for end in lowest highest; do
    venv=.venv-matrix-$end
    test -x $venv/bin/python || ${PYTHON:-python3} -m venv $venv
    $venv/bin/python -m pip install --quiet --upgrade 'pip>=24' 'setuptools<82' wheel
    $venv/bin/python -m pip install --quiet -c tests/matrix/$end.txt -e '.[redis,test]'
    echo "== $end: $($venv/bin/python -m pip freeze | grep -iE '^(python-socketio|python-engineio|gevent|gevent-websocket)==' | tr '\n' ' ')"
    PYTHONPATH=$PWD $venv/bin/python -m pytest -q $SOCKET_TESTS
done
