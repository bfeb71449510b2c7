#!/bin/bash
# `make test-matrix`: the socket tests against the lowest and the highest versions of
# python-socketio, python-engineio, gevent and gevent-websocket that setup.py allows,
# each in a virtualenv of its own (.venv-matrix-lowest, .venv-matrix-highest).
set -euo pipefail
cd "$(dirname "$0")/../.."
SOCKET_TESTS="tests/edge tests/namespaces tests/test_public_api.py tests/pubsub/test_recovery.py
              tests/product/test_pingpong.py"
for end in lowest highest; do
    venv=.venv-matrix-$end
    test -x $venv/bin/python || ${PYTHON:-python3} -m venv $venv
    $venv/bin/python -m pip install --quiet --upgrade 'pip>=24' 'setuptools<82' wheel
    $venv/bin/python -m pip install --quiet -c tests/matrix/$end.txt -e '.[redis,test]'
    echo "== $end: $($venv/bin/python -m pip freeze | grep -iE '^(python-socketio|python-engineio|gevent|gevent-websocket)==' | tr '\n' ' ')"
    PYTHONPATH=$PWD $venv/bin/python -m pytest -q $SOCKET_TESTS
done
