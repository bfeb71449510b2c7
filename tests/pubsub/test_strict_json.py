"""Strict JSON: NaN and infinities are refused where they enter, not in the browser.

Python's json writes NaN/Infinity/-Infinity, which JSON.parse in a browser
rejects: the whole packet would be lost on every client.
"""
import math
import subprocess

import pytest

from tests.helpers import PYTHON
from tgext.socketio import publish

UNREACHABLE = 'redis://127.0.0.1:1/0'  # never contacted: the data is refused first


@pytest.mark.parametrize('value', [math.nan, math.inf, -math.inf])
def test_publish_refuses_nan_and_infinities(value):
    with pytest.raises(TypeError, match="data published to 'c' is not JSON-serialisable"):
        publish('c', {'nested': [1, value]}, backend=UNREACHABLE)


def test_publish_accepts_finite_floats_and_reaches_the_backend_step():
    from tgext.socketio import PublishError
    with pytest.raises(PublishError):  # past the JSON check, to the (absent) backend
        publish('c', {'x': 1.5, 'big': 1e308}, backend=UNREACHABLE)


@pytest.mark.parametrize('text', ['{"x": NaN}', '[Infinity]', '{"x": -Infinity}'])
def test_the_command_line_refuses_nan_and_infinities(text):
    result = subprocess.run([PYTHON, '-m', 'tgext.socketio', 'publish', '--backend',
                             UNREACHABLE, 'c', text], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result
    assert 'data is not JSON' in result.stderr and 'browsers cannot parse' in result.stderr
    assert 'publish failed' not in result.stderr  # refused before any connection
