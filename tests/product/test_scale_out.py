"""docs/deployment.md run as written: two gunicorn processes (one GeventWebSocketWorker each,
from the doc's command lines and production.ini) on a real Redis, behind a real nginx with the
doc's block and its cookie stickiness, driven by the official python-socketio client."""
import os
import shlex
import signal
import threading
import time

import pytest
import requests

from tests import servers
from tests.helpers import PYTHON, ROOT, InOrderClient, Process, free_port
from tests.nginx import Nginx, documented
from tgext.socketio import publish

VENV_BIN = os.path.dirname(PYTHON)
APP = os.path.join(ROOT, 'tests', 'sample_apps', 'everything.py')
DOCUMENTED_REDIS = 'redis://127.0.0.1:6379/0'
PING_INTERVAL = 1         # a poll returns at every ping: 60 s hold about 60 polls
RECONNECTION_DELAY = 3    # s: the window in which a killed worker's clients are away
ROOM = 'room-1'


def production_ini(folder, redis_url):
    """The doc's production.ini, for the sample app, on the test's Redis."""
    block = documented('deployment-ini', 'ini')
    assert 'use = egg:myapp' in block and DOCUMENTED_REDIS in block
    path = os.path.join(folder, 'production.ini')
    with open(path, 'w') as ini:
        ini.write(block.replace('use = egg:myapp', 'use = egg:tgext.socketio#script\n'
                                'script = %s' % APP).replace(DOCUMENTED_REDIS, redis_url)
                  + 'socketio.ping_interval = %s\n' % PING_INTERVAL)
    return path


def gunicorn_processes(ini):
    """The doc's gunicorn lines, each started as written on a free port of its own."""
    started = []
    for line in documented('deployment-gunicorn', 'sh').strip().splitlines():
        words = shlex.split(line)
        env = dict(word.split('=', 1) for word in words if '=' in word.split('-')[0])
        command = words[len(env):]
        assert command[0] == 'gunicorn' and '-w' in command and 'production.ini' in command
        assert command[command.index('-w') + 1] == '1'
        port = free_port()
        command = [os.path.join(VENV_BIN, 'gunicorn')] + [
            ini if word == 'production.ini' else
            '127.0.0.1:%d' % port if word.startswith('127.0.0.1:') else word
            for word in command[1:]]
        started.append(Process(command, port=port, env=dict(env, PYTHONPATH=ROOT), timeout=60))
    return started


class Deployment:
    def __init__(self, folder):
        self.redis = servers.Redis()
        self.workers = gunicorn_processes(production_ini(folder, self.redis.url))
        self.nginx = Nginx([worker.port for worker in self.workers], log_requests=True)
        self.clients = []
        self.pids = [requests.get(worker.url + '/stats', timeout=60).json()['pid']
                     for worker in self.workers]  # the worker process behind each port

    def session_on(self, worker):
        """A requests session whose nginx cookie pins it to ``worker`` (an index)."""
        for _ in range(60):  # each new cookie is a new random key: half of them go there
            session = requests.Session()
            pid = session.get(self.nginx.url + '/stats', timeout=30).json()['pid']
            if pid == self.pids[worker]:
                assert session.cookies.get('sticky'), 'nginx set no sticky cookie'
                return session
        raise AssertionError('60 new clients and none on worker %d' % worker)

    def subscriber(self, worker, transports):
        client = Subscriber(self.nginx.url, self.session_on(worker), transports)
        self.clients.append(client)
        return client

    def worker_of(self, session):
        return self.pids.index(session.get(self.nginx.url + '/stats', timeout=30).json()['pid'])

    def close(self):
        for client in self.clients:
            client.sio.disconnect()
        self.nginx.stop()
        for worker in self.workers:
            worker.stop()
        self.redis.close()


class Subscriber:
    """A reconnecting client of room-1 that follows the doc: it subscribes, keeps the last
    position it saw, and after every reconnection recovers from it (applying what the
    acknowledgement brings, then what arrived meanwhile, skipping offsets it has)."""

    def __init__(self, url, session, transports):
        self.session = session
        self.sio = InOrderClient(reconnection=True, reconnection_delay=RECONNECTION_DELAY,
                                 reconnection_delay_max=RECONNECTION_DELAY,
                                 randomization_factor=0, http_session=session)
        self.messages, self.recovered, self.last = [], [], None
        self.connects = self.disconnects = 0
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._held = None  # live publications arriving while a recovery is out
        self.sio.on('publication', self._live, namespace='/rooms')
        self.sio.on('connect', self._connected, namespace='/rooms')
        self.sio.on('disconnect', self._disconnected, namespace='/rooms')
        self.sio.connect(url, namespaces=['/rooms'], socketio_path='socketio',
                         transports=list(transports), wait_timeout=30)
        assert self.ready.wait(30), 'not subscribed'

    def _connected(self):
        self.connects += 1
        self._held = []
        self.sio.start_background_task(self._subscribe)  # not in the handler: not connected yet

    def _disconnected(self, *reason):
        self.disconnects += 1
        self.ready.clear()

    def _subscribe(self):
        if self.last is None:
            assert self.sio.call('subscribe', ('room', '1'), namespace='/rooms',
                                 timeout=30) == ROOM
            answer = {'publications': []}
        else:
            answer = self.sio.call('recover', (self.last, 'room', '1'), namespace='/rooms',
                                   timeout=30)
            self.recovered.append(answer)
        with self._lock:
            held, self._held = self._held, None
            for data, position in answer['publications'] + held:
                self._apply(data, position)
        self.ready.set()

    def _live(self, data, channel, position):
        with self._lock:
            if self._held is not None:
                self._held.append([data, position])
            else:
                self._apply(data, position)

    def _apply(self, data, position):
        if self.last is None or position['offset'] > self.last['offset']:
            self.messages.append(data['message'])
            self.last = position


@pytest.fixture(scope='module')
def deployment(tmp_path_factory):
    deployment = Deployment(str(tmp_path_factory.mktemp('deployment')))
    yield deployment
    deployment.close()


def published(deployment, *messages):
    for message in messages:
        publish(ROOM, {'message': message}, namespace='/rooms', backend=deployment.redis.url)


def wait_until(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, 'not within %s s' % timeout
        time.sleep(0.05)


def test_polling_and_websocket_clients_on_both_workers_hear_each_other(deployment):
    clients = {(worker, transport): deployment.subscriber(worker, (transport,))
               for worker in (0, 1) for transport in ('polling', 'websocket')}
    for (worker, transport), client in clients.items():
        assert client.sio.transport() == transport
        assert deployment.worker_of(client.session) == worker
    for worker in deployment.workers:  # two clients really are on each worker
        assert requests.get(worker.url + '/stats', timeout=10).json()['connections'] == 2
    for (worker, transport), client in clients.items():
        assert client.sio.call('post', (ROOM, 'from %s-%d' % (transport, worker)),
                               namespace='/rooms', timeout=30) is True
    everything = sorted('from %s-%d' % (transport, worker) for worker, transport in clients)
    for client in clients.values():
        wait_until(lambda client=client: len(client.messages) >= 4)
        assert sorted(client.messages) == everything
    for client in clients.values():
        client.sio.disconnect()
    deployment.clients.clear()


def test_a_polling_client_stays_on_its_worker_for_60_s_of_polls(deployment):
    """Every request of each session (handshake aside) went to its one worker, at least 40
    polls each, and the sessions lived through it without a reconnection."""
    clients = [deployment.subscriber(worker, ('polling',)) for worker in (0, 1)]
    started = time.monotonic()
    rounds = 0
    while time.monotonic() - started < 60:
        time.sleep(5)
        rounds += 1
        for n, client in enumerate(clients):
            assert client.sio.call('post', (ROOM, 'round %d from %d' % (rounds, n)),
                                   namespace='/rooms', timeout=30) is True
    for client in clients:
        wait_until(lambda client=client: len(client.messages) >= 2 * rounds)
        assert client.messages[-2 * rounds:] == ['round %d from %d' % (r, n)
                                                 for r in range(1, rounds + 1) for n in (0, 1)]
        assert (client.connects, client.disconnects) == (1, 0)
        assert client.sio.transport() == 'polling'
    served = {}
    for workers, method, sid, status in deployment.nginx.requests_served():
        if sid in [client.sio.eio.sid for client in clients]:
            served.setdefault(sid, []).append((workers, method, status))
    for worker, client in zip(deployment.workers, clients):
        requests_of_session = served[client.sio.eio.sid]
        assert {workers for workers, _, _ in requests_of_session} == {
            '127.0.0.1:%d' % worker.port}
        assert {status for _, _, status in requests_of_session} == {'200'}
        polls = [method for _, method, _ in requests_of_session if method == 'GET']
        assert len(polls) >= 40, len(polls)
    for client in clients:
        client.sio.disconnect()
    deployment.clients.clear()


def test_kill_9_of_a_worker_its_clients_recover_what_was_published_meanwhile(deployment):
    doomed = [deployment.subscriber(0, ('polling',)), deployment.subscriber(0, ('websocket',))]
    survivor = deployment.subscriber(1, ('websocket',))
    published(deployment, 'before 1', 'before 2')
    for client in doomed + [survivor]:
        wait_until(lambda client=client: client.messages[-2:] == ['before 1', 'before 2'])

    deployment.workers[0].stop(signal.SIGKILL)          # the gunicorn of port 1, and its worker
    wait_until(lambda: all(client.disconnects == 1 for client in doomed), timeout=15)
    published(deployment, 'meanwhile 1', 'meanwhile 2', 'meanwhile 3')
    assert [client.connects for client in doomed] == [1, 1], 'back before the publications'

    expected = ['before 1', 'before 2', 'meanwhile 1', 'meanwhile 2', 'meanwhile 3']
    for client in doomed:  # reconnected through nginx to the other worker, and recovered
        wait_until(lambda client=client: client.connects == 2 and client.ready.is_set(), 60)
        [answer] = client.recovered
        assert answer['recovered'] is True
        assert [data['message'] for data, _ in answer['publications']] == expected[2:]
        assert client.messages[-5:] == expected and len(set(client.messages)) == len(
            client.messages)
        assert deployment.worker_of(client.session) == 1
    assert survivor.messages[-5:] == expected and survivor.disconnects == 0
    published(deployment, 'after')
    for client in doomed + [survivor]:
        wait_until(lambda client=client: client.messages[-1] == 'after')

