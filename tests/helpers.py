"""Real processes and official clients for the tests."""
import collections
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import engineio
import requests
import socketio
import websocket

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = sys.executable


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def wait_for_port(port, process=None, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError('process exited with %s' % process.returncode)
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError('nothing listens on port %s after %s s' % (port, timeout))


class Process:
    """A subprocess with its output in a temporary log, stopped on ``stop()``."""

    def __init__(self, args, port=None, env=None, cwd=ROOT, timeout=30):
        self.log = tempfile.NamedTemporaryFile(prefix='tgext-socketio-', suffix='.log',
                                               delete=False)
        self.port = port
        self.popen = subprocess.Popen(args, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT,
                                      env={**os.environ, **(env or {})}, start_new_session=True)
        if port is not None:
            try:
                wait_for_port(port, self.popen, timeout)
            except Exception:
                self.stop()
                raise RuntimeError('could not start %s:\n%s' % (args, self.output()))

    @property
    def url(self):
        return 'http://127.0.0.1:%s' % self.port

    def output(self):
        with open(self.log.name, encoding='utf-8', errors='replace') as log:
            return log.read()

    def alive(self):
        return self.popen.poll() is None

    def stop(self, sig=signal.SIGTERM):
        """Signal the whole process group (``make`` and its children too)."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
            except ProcessLookupError:
                pass


def in_process_app(namespaces, **blueprint):
    """A TurboGears app serving ``{'/path': NamespaceClass}`` at ``/socketio/``, as a
    ``webtest.TestApp`` for ``tgext.socketio.testing`` (``blueprint``: more settings)."""
    import webtest
    from tg import MinimalApplicationConfigurator, TGController

    import tgext.socketio

    class Endpoint(tgext.socketio.SocketIOController):
        pass
    Endpoint.namespaces = dict(namespaces)

    class Root(TGController):
        socketio = Endpoint()

    config = MinimalApplicationConfigurator()
    config.update_blueprint(dict({'root_controller': Root()}, **blueprint))
    tgext.socketio.plugme(config)
    return webtest.TestApp(config.make_wsgi_app())


@contextlib.contextmanager
def app_with_database(root, metadata, session, path, **blueprint):
    """A TurboGears app of ``root`` under the transaction manager, as a quickstarted app
    runs, with ``session`` bound to a new SQLite file ``path`` holding ``metadata``'s
    tables; a ``webtest.TestApp`` for ``tgext.socketio.testing``."""
    import sqlalchemy as sa
    import webtest
    from tg import MinimalApplicationConfigurator
    from tg.configurator.components.transactions import (
        TransactionManagerConfigurationComponent)

    import tgext.socketio

    engine = sa.create_engine('sqlite:///%s' % path)
    metadata.create_all(engine)
    session.configure(bind=engine)
    config = MinimalApplicationConfigurator()
    config.register(TransactionManagerConfigurationComponent)  # as the full stack has
    config.update_blueprint(dict({'root_controller': root, 'tm.enabled': True,
                                  'use_sqlalchemy': True, 'DBSession': session}, **blueprint))
    tgext.socketio.plugme(config)
    try:
        yield webtest.TestApp(config.make_wsgi_app())
    finally:
        session.remove()
        engine.dispose()


def start_app(module_args, backend='memory://', env=None):
    port = free_port()
    return Process([PYTHON] + module_args + ['--port', str(port), '--backend', backend],
                   port=port, env=env)


class Recorder:
    """Everything a client received in one namespace, with waiting helpers."""

    def __init__(self):
        self.events = []
        self.counts = collections.Counter()
        self._changed = threading.Condition()

    def __call__(self, event, *args):
        with self._changed:
            self.events.append((event, args))
            self.counts[event] += 1
            self._changed.notify_all()

    def of(self, event):
        with self._changed:
            return [args for name, args in self.events if name == event]

    def wait_for(self, event, count=1, timeout=10):
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.counts[event] < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [name for name, _ in self.events]
                    raise AssertionError('expected %s %r, got %d of them (%d events, last: %r)'
                                         % (count, event, got.count(event), len(got),
                                            repr(self.events[-1:])[:200]))
                self._changed.wait(left)
        return self.of(event)


class _InOrderEngineIOClient(engineio.Client):
    """python-engineio's client, handing each message over in the order it arrived.

    The stock client runs every message handler in a thread of its own: under
    load two events the server sent in order could reach the test swapped.
    """

    def _trigger_event(self, event, *args, **kwargs):
        if event == 'message':
            kwargs['run_async'] = False
        return super()._trigger_event(event, *args, **kwargs)


class InOrderClient(socketio.Client):
    """python-socketio's Client, whose handlers see events in arrival order."""

    def _engineio_client_class(self):
        return _InOrderEngineIOClient


def stats(process):
    """The ``/stats`` of an app process (the sample apps expose their memory and objects)."""
    return requests.get(process.url + '/stats', timeout=30).json()


def rss_kb(pid):
    """The resident memory of process ``pid``, in KiB."""
    with open('/proc/%d/status' % pid) as status:
        return int(next(line for line in status if line.startswith('VmRSS')).split()[1])


def raw_websocket(url, namespace='/features', timeout=5, **options):
    """A WebSocket (websocket-client) that has opened ``namespace`` and speaks Socket.IO
    frames as the test writes them (``options``: websocket-client's, e.g. ``sockopt``)."""
    ws = websocket.create_connection(
        url.replace('http', 'ws') + '/socketio/?EIO=4&transport=websocket', timeout=timeout,
        **options)
    assert ws.recv().startswith('0{')
    ws.send('40%s,' % namespace)
    assert ws.recv().startswith('40%s,' % namespace)
    return ws


def client(url, namespace, transports=('websocket',), headers=None, auth=None):
    """A connected python-socketio Client and the Recorder of ``namespace``."""
    sio = InOrderClient(reconnection=False)
    recorder = Recorder()
    sio.on('*', recorder, namespace=namespace)
    sio.connect(url, namespaces=[namespace], socketio_path='socketio',
                transports=list(transports), headers=headers or {}, auth=auth,
                wait_timeout=10)
    return sio, recorder


def connect_refusals(url, namespace, headers=None):
    """The connect errors a client gets for ``namespace`` (it must be refused)."""
    sio = socketio.Client(reconnection=False)
    refusals = []
    sio.on('connect_error', refusals.append, namespace=namespace)
    try:
        sio.connect(url, namespaces=[namespace], socketio_path='socketio',
                    transports=['websocket'], headers=headers or {})
    except socketio.exceptions.ConnectionError:
        return refusals
    finally:
        sio.disconnect()
    raise AssertionError('%s accepted the connection' % namespace)


def login(url, user, password):
    """The Cookie header of a user logged in through TurboGears' login handler."""
    response = requests.post(url + '/login_handler', data={'login': user, 'password': password},
                             allow_redirects=False)
    cookies = [header.split(';')[0] for header in response.raw.headers.getlist('Set-Cookie')
               if header.startswith('authtkt=') and not header.startswith('authtkt="";')]
    assert cookies, 'login of %s failed: %r' % (user, response.headers)
    return {'Cookie': cookies[0]}


class CuttableProxy:
    """A TCP proxy on a free loopback port whose cable can be cut and plugged back.

    ``cut()`` resets every connection through it (the peers see a dead network, not
    a clean close) and refuses new ones until ``plug(port)``, which may lead to
    another server than before. ``cut_at_answer(n)`` cuts when the server's ``n``-th
    answer from now arrives, before it passes: a server killed between doing what
    it was asked and saying so.
    """

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        self.plugged = True
        self.sockets = []
        self._answers_to_pass = None
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            if not self.plugged:
                _reset(downstream)
                continue
            try:
                upstream = socket.create_connection(('127.0.0.1', self.target_port), timeout=5)
            except OSError:
                _reset(downstream)
                continue
            upstream.settimeout(None)
            with self._lock:
                self.sockets += [downstream, upstream]
            for source, sink, answers in ((downstream, upstream, False),
                                          (upstream, downstream, True)):
                threading.Thread(target=self._pump, args=(source, sink, answers),
                                 daemon=True).start()

    def _pump(self, source, sink, answers):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if answers and self._answer_is_cut():
                    self.cut()
                    return
                sink.sendall(data)
        except OSError:
            pass
        _reset(sink)

    def _answer_is_cut(self):
        with self._lock:
            if self._answers_to_pass is None:
                return False
            if self._answers_to_pass == 0:
                self._answers_to_pass = None
                return True
            self._answers_to_pass -= 1
            return False

    def cut_at_answer(self, number=1):
        self._answers_to_pass = number - 1

    def cut(self):
        self.plugged = False
        with self._lock:
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            _reset(sock)

    def plug(self, target_port=None):
        self.target_port = target_port or self.target_port
        self.plugged = True

    def close(self):
        self.cut()
        self.listener.close()


def _reset(sock):
    """Close with RST: the other side learns the connection died, as on a network cut."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\x01\x00\x00\x00\x00\x00\x00\x00')
        sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked reading it; close alone does not
    except OSError:
        pass
    sock.close()


class _SourceAddressAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs['source_address'] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def http_from(address):
    """A ``requests.Session`` whose connections leave from ``address`` (any 127.x.y.z is
    this machine's loopback: another client address without another machine)."""
    session = requests.Session()
    session.mount('http://', _SourceAddressAdapter(address))
    return session
