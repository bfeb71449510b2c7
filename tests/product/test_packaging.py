"""What a pip user gets: the built wheel and sdist, an installed copy, gearbox --reload."""
import json
import os
import re
import shutil
import subprocess
import sysconfig
import tarfile
import time
import zipfile

import pytest
import requests

from tests.helpers import PYTHON, ROOT, Process, client, free_port

VENV_BIN = os.path.dirname(PYTHON)
VENDOR = 'tgext/socketio/static/vendor/'
CONSOLE_THEME = 'tgext/socketio/console/static/theme.css'
ASSETS = ['socket.io.min.js', 'socket.io.min.js.map', 'ractive.min.js', 'ractive.min.js.map']


def run(args, cwd=ROOT, env=None, timeout=60):
    result = subprocess.run(args, cwd=cwd, env={**os.environ, **(env or {})},
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, '%s failed:\n%s\n%s' % (args, result.stdout,
                                                           result.stderr[-3000:])
    return result


def build_wheel(source, dist, env=None):
    """``pip wheel`` of ``source`` into ``dist`` (the test venv has the build deps)."""
    run([PYTHON, '-m', 'pip', 'wheel', '--quiet', '--no-deps', '--no-build-isolation',
         '--wheel-dir', dist, source], cwd=source, env=env)
    (wheel,) = [name for name in os.listdir(dist) if name.endswith('.whl')]
    return os.path.join(dist, wheel)


def wheel_files(path):
    with zipfile.ZipFile(path) as wheel:
        return {name: wheel.read(name) for name in wheel.namelist()}


def lock_versions():
    with open(os.path.join(ROOT, 'public', 'package-lock.json'), encoding='utf-8') as lock:
        packages = json.load(lock)['packages']
    return {name: packages['node_modules/' + name]['version']
            for name in ('ractive', 'socket.io-client')}


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    """The wheel and the sdist of this checkout, built as a release would be."""
    dist = str(tmp_path_factory.mktemp('dist'))
    wheel = build_wheel(ROOT, dist)
    run([PYTHON, 'setup.py', '--quiet', 'sdist', '--dist-dir', dist])
    (sdist,) = [os.path.join(dist, name) for name in os.listdir(dist) if name.endswith('.tar.gz')]
    return {'wheel': wheel, 'sdist': sdist, 'dir': dist}


def test_the_wheel_and_the_sdist_carry_the_pinned_front_end_files(built):
    files = wheel_files(built['wheel'])
    for name in ASSETS:
        with open(os.path.join(ROOT, 'public', 'node_modules', *_npm_path(name)), 'rb') as npm:
            assert files[VENDOR + name] == npm.read(), name
    assert json.loads(files[VENDOR + 'versions.json']) == lock_versions()
    assert 'script' in files['tgext_socketio-0.1.0.dist-info/entry_points.txt'].decode()
    with open(os.path.join(ROOT, CONSOLE_THEME), 'rb') as theme:  # the console's look
        assert files[CONSOLE_THEME] == theme.read()

    with tarfile.open(built['sdist']) as sdist:
        names = {name.split('/', 1)[1] for name in sdist.getnames() if '/' in name}
    assert {VENDOR + name for name in ASSETS + ['versions.json']} <= names
    assert {'public/package.json', 'public/package-lock.json', 'MANIFEST.in',
            CONSOLE_THEME} <= names
    assert not [name for name in names if 'node_modules' in name]


def test_a_wheel_builds_from_the_sdist_without_npm(built, tmp_path):
    with tarfile.open(built['sdist']) as sdist:
        sdist.extractall(tmp_path, filter='data')
    (source,) = [str(path) for path in tmp_path.iterdir()]
    no_npm = {'PATH': str(tmp_path / 'empty-bin')}
    assert shutil.which('npm', path=no_npm['PATH']) is None
    wheel = build_wheel(source, str(tmp_path / 'dist'), env=no_npm)
    files, reference = wheel_files(wheel), wheel_files(built['wheel'])
    for name in ASSETS + ['versions.json']:
        assert files[VENDOR + name] == reference[VENDOR + name], name


def test_the_installed_wheel_serves_the_front_end_files(built, tmp_path):
    """The pingpong example on a pip-installed copy, without the ``examples`` package."""
    site = tmp_path / 'site'
    run([PYTHON, '-m', 'pip', 'install', '--quiet', '--no-deps', '--target', str(site),
         built['wheel']])
    starter = tmp_path / 'start.py'
    starter.write_text(START_WITHOUT_THE_CHECKOUT)
    port = free_port()
    # The installed copy first; the checkout neither on sys.path nor the working folder.
    process = Process([PYTHON, str(starter), os.path.join(ROOT, 'examples', 'pingpong', 'app.py'),
                       '--port', str(port)], port=port, cwd=str(tmp_path),
                      env={'PYTHONPATH': str(site)})
    try:
        assert 'tgext.socketio from %s/tgext/socketio/' % site in process.output()
        files = wheel_files(built['wheel'])
        for name in ('socket.io.min.js', 'ractive.min.js'):
            response = requests.get('%s/_socketio/%s' % (process.url, name), timeout=10)
            assert response.status_code == 200, response.text
            assert response.headers['Content-Type'].startswith('text/javascript')
            assert response.content == files[VENDOR + name]
        assert '/_socketio/ractive.min.js' in requests.get(process.url + '/', timeout=10).text
    finally:
        process.stop()


@pytest.mark.timeout(180)
def test_a_default_mode_editable_install_runs_the_examples(tmp_path):
    """``pip install -e .`` (not compat): only tgext and axf_ractive are importable."""
    venv = tmp_path / 'venv'
    run([PYTHON, '-m', 'venv', '--without-pip', str(venv)])
    python = str(venv / 'bin' / 'python')
    purelib = run([python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'])
    # The dependencies of the test venv, but not its .pth files: no checkout on sys.path.
    with open(os.path.join(purelib.stdout.strip(), 'deps.pth'), 'w') as pth:
        pth.write(sysconfig.get_paths()['purelib'] + '\n')
    run([PYTHON, '-m', 'pip', '--python', python, 'install', '--quiet', '--no-deps',
         '--no-build-isolation', '--editable', ROOT], timeout=120)
    clean = ['env', '-u', 'PYTHONPATH']
    where = run(clean + [python, '-c', 'import tgext.socketio, importlib.util as u; '
                         'print(tgext.socketio.__file__, u.find_spec("examples"))'],
                cwd=str(tmp_path))
    assert where.stdout.split() == [os.path.join(ROOT, 'tgext', 'socketio', '__init__.py'), 'None']

    port = free_port()
    process = Process(clean + [python, os.path.join(ROOT, 'examples', 'pingpong', 'app.py'),
                               '--port', str(port)], port=port, cwd=str(tmp_path))
    try:
        response = requests.get(process.url + '/_socketio/ractive.min.js', timeout=10)
        with open(os.path.join(ROOT, 'public', 'node_modules', 'ractive', 'ractive.min.js'),
                  'rb') as npm:
            assert response.status_code == 200 and response.content == npm.read()
        assert pong(process.url) == ['pong']
    finally:
        process.stop()
    assert not os.path.exists(os.path.join(ROOT, VENDOR)), 'nothing is copied into a checkout'

    port = free_port()
    config = open(os.path.join(ROOT, 'examples/chat/development.ini')).read()
    ini = os.path.join(ROOT, 'examples/chat/test-editable-%s.ini' % port)
    with open(ini, 'w') as out:
        out.write(config.replace('port = 8080', 'port = %s' % port))
    try:
        process = Process(clean + [python, '-c', 'import sys; from gearbox.main import main; '
                                   'sys.exit(main())', 'serve', '-c', ini], port=port)
        try:
            page = requests.get(process.url + '/', timeout=10)
            assert page.status_code == 200 and '/_socketio/socket.io.min.js' in page.text
        finally:
            process.stop()
    finally:
        os.unlink(ini)


def test_without_the_files_the_error_says_what_to_do(tmp_path, monkeypatch):
    from tgext.socketio.edge import assets
    monkeypatch.setattr(assets, 'VENDOR', str(tmp_path / 'vendor'))
    monkeypatch.setattr(assets, '_CHECKOUT', str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assets.asset_path.cache_clear()
    try:
        body = b''.join(assets.serve('ractive.min.js', None, lambda status, headers: None))
    finally:
        assets.asset_path.cache_clear()
    message = body.decode()
    assert 'reinstall it from a wheel or sdist built with node/npm' in message
    assert '`make assets`' in message and 'socketio.assets_dir' in message


def test_gearbox_serve_reload_serves_and_reloads_on_a_code_change():
    port = free_port()
    config = open(os.path.join(ROOT, 'examples/pingpong/development.ini')).read()
    ini = os.path.join(ROOT, 'examples/pingpong/test-reload-%s.ini' % port)
    with open(ini, 'w') as out:
        out.write(config.replace('port = 8080', 'port = %s' % port))
    try:
        process = Process([os.path.join(VENV_BIN, 'gearbox'), 'serve', '--reload', '-c', ini],
                          port=port)
        try:
            first = served_by(process, 1)
            assert pong(process.url) == ['pong']
            touch_until_reloaded(process, os.path.join(ROOT, 'examples', 'pingpong', 'app.py'))
            second = served_by(process, 2)
            assert second != first, process.output()
            assert pong(process.url) == ['pong']
            assert 'Traceback' not in process.output(), process.output()
        finally:
            process.stop()
    finally:
        os.unlink(ini)


def touch_until_reloaded(process, path, timeout=20):
    """Touch ``path`` until the reloader reacts (it watches a module ~1 s after the import)."""
    deadline = time.monotonic() + timeout
    while 'app.py changed; reloading' not in process.output():
        assert time.monotonic() < deadline, process.output()
        os.utime(path)
        time.sleep(0.5)


def test_the_server_factory_patching_too_late_still_says_not_monkey_patched():
    """The factory patches when PasteDeploy calls it; TurboGears imported before is caught
    when it serves (loading the app itself needs no patching)."""
    script = ('import tg\n'
              'from tgext.socketio.serving import server_factory\n'
              'from gevent import monkey\n'
              'assert not monkey.is_module_patched("socket"), "importing serving patched"\n'
              'serve = server_factory({}, port="0")\n'
              'assert monkey.is_module_patched("socket"), "the factory did not patch"\n'
              'import runpy\n'
              'serve(runpy.run_path(%r)["make_app"]())\n'
              % os.path.join(ROOT, 'examples', 'pingpong', 'app.py'))
    result = subprocess.run([PYTHON, '-c', script], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and 'NotMonkeyPatched' in result.stderr, result.stderr


def served_by(process, count, timeout=30):
    """The pid of the ``count``-th server gearbox started, once it listens."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = process.output()
        pids = re.findall(r'Starting server in PID (\d+)', output)
        if len(pids) >= count and output.count('Serving on') >= count:
            return pids[count - 1]
        assert process.alive(), output
        time.sleep(0.2)
    raise AssertionError('no server %d after %s s:\n%s' % (count, timeout, process.output()))


def pong(url):
    """A Socket.IO handshake on /pingpong, one ping, its pong."""
    deadline = time.monotonic() + 15
    while True:  # the reloaded worker binds its port a moment after it logs
        try:
            sio, seen = client(url, '/pingpong', ('websocket',))
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    try:
        sio.emit('ping', {'type': 'ping'}, namespace='/pingpong')
        return [data['sound'] for (data,) in seen.wait_for('pong', 1)]
    finally:
        sio.disconnect()


def _npm_path(name):
    from tgext.socketio.edge.assets import ASSETS as paths
    return paths[name].split('/')


# Run an example script as `python app.py` would, but refuse the `examples` package
# (a compat-mode editable install would have put the checkout on sys.path) and say
# where tgext.socketio comes from (before gevent patches: assets imports no TurboGears).
START_WITHOUT_THE_CHECKOUT = '''
import importlib.abc, os, runpy, sys

class RefuseExamples(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == 'examples' or name.startswith('examples.'):
            raise ModuleNotFoundError('No module named %r' % name)

sys.meta_path.insert(0, RefuseExamples())
import tgext.socketio.edge.assets
print('tgext.socketio from %s' % tgext.socketio.edge.assets.__file__, flush=True)
script = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path[0] = os.path.dirname(script)
runpy.run_path(script, run_name='__main__')
'''
