"""The pingpong example, served every supported way, judged by the official clients."""
import json
import os
import re
import subprocess

import pytest
import requests

from tests.helpers import PYTHON, ROOT, Process, client, free_port

VENV_BIN = os.path.dirname(PYTHON)
README = open(os.path.join(ROOT, 'README.md'), encoding='utf-8').read()
PONG_AND_FIREBALL = ['pong'] + ['bang!'] * 10


def play(url, transports):
    sio, seen = client(url, '/pingpong', transports)
    try:
        sio.emit('ping', {'type': 'ping'}, namespace='/pingpong')
        sio.emit('ping', {'type': 'fireball'}, namespace='/pingpong')
        return [data['sound'] for (data,) in seen.wait_for('pong', 11)], sio.transport()
    finally:
        sio.disconnect()


@pytest.mark.parametrize('transports', [('websocket',), ('polling',)])
def test_python_client(pingpong, transports):
    assert play(pingpong.url, transports) == (PONG_AND_FIREBALL, transports[0])


@pytest.mark.parametrize('transports', ['websocket', 'polling,websocket'])
def test_node_client(pingpong, transports):
    result = subprocess.run(['node', os.path.join(ROOT, 'tests', 'node', 'pingpong.js'),
                             pingpong.url, transports], capture_output=True, text=True, timeout=30)
    assert json.loads(result.stdout) == {'transport': 'websocket', 'sounds': PONG_AND_FIREBALL}


def test_page_loads_the_client_from_the_app(pingpong):
    page = requests.get(pingpong.url + '/').text
    assert '/_socketio/socket.io.min.js' in page
    script = requests.get(pingpong.url + '/_socketio/socket.io.min.js')
    assert script.status_code == 200 and 'io' in script.text
    assert script.headers['Content-Type'].startswith('text/javascript')
    assert requests.get(pingpong.url + '/_socketio/../../setup.py').status_code == 404


def test_gearbox_serve_with_the_paste_factory_in_debug_mode():
    port = free_port()
    config = open(os.path.join(ROOT, 'examples/pingpong/development.ini')).read()
    assert 'debug = true' in config and 'egg:tgext.socketio#gevent' in config
    ini = os.path.join(ROOT, 'examples/pingpong/test-%s.ini' % port)
    with open(ini, 'w') as out:
        out.write(config.replace('port = 8080', 'port = %s' % port))
    try:
        process = Process([os.path.join(VENV_BIN, 'gearbox'), 'serve', '-c', ini], port=port)
        try:
            assert play(process.url, ('websocket',)) == (PONG_AND_FIREBALL, 'websocket')
        finally:
            process.stop()
    finally:
        os.unlink(ini)


def test_gunicorn_with_the_gevent_websocket_worker(tmp_path):
    port = free_port()
    [hooks] = re.findall(r'<!-- readme-gunicorn-conf -->\n```python\n(.*?)```', README, re.S)
    conf = tmp_path / 'gunicorn.conf.py'
    conf.write_text(hooks.replace('    freeze_startup_heap()', '    freeze_startup_heap()\n'
                                  '    print("frozen", __import__("gc").get_freeze_count())'))
    process = Process([os.path.join(VENV_BIN, 'gunicorn'), '--paste',
                       'examples/pingpong/development.ini', '-b', '127.0.0.1:%s' % port,
                       '-c', str(conf),
                       '-k', 'geventwebsocket.gunicorn.workers.GeventWebSocketWorker'], port=port,
                      env={'GEVENT_TRACK_GREENLET_TREE': '0'})  # the README's recipe
    try:
        assert play(process.url, ('websocket',)) == (PONG_AND_FIREBALL, 'websocket')
        assert play(process.url, ('polling',)) == (PONG_AND_FIREBALL, 'polling')
    finally:
        process.stop()
    [frozen] = re.findall(r'^frozen (\d+)$', process.output(), re.M)
    assert int(frozen) > 10000  # the loaded app's objects


def test_without_monkey_patching_the_app_loads_and_serving_says_how_to_fix_it():
    """A shell, a script or the app's tests load the app unpatched; a socket needs gevent."""
    script = ('import sys; sys.path.insert(0, %r)\n'
              'import webtest\n'
              'from examples.pingpong.app import make_app\n'
              'app = webtest.TestApp(make_app())\n'
              'print(app.get("/").status_int)\n'
              'answer = app.get("/socketio/?EIO=4&transport=polling", expect_errors=True)\n'
              'print(answer.status_int)\n'
              'print(answer.text)\n' % ROOT)
    result = subprocess.run([PYTHON, '-c', script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    page, handshake, reason = result.stdout.split('\n', 2)
    assert (page, handshake) == ('200', '500')
    assert 'gevent.monkey.patch_all()' in reason
    assert 'GeventWebSocketWorker' in reason
