"""Two workers sharing Redis behind nginx (the documented recipe)."""
import signal
import threading
import time

import pytest
import requests
import requests.adapters
import socketio

from tests import servers
from tests.helpers import Recorder, start_app
from tests.nginx import Nginx


class SourceAddressAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, source, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs['source_address'] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address):
    """HTTP from a loopback address of its own (all of 127.0.0.0/8 is this machine)."""
    session = requests.Session()
    session.mount('http://', SourceAddressAdapter(address))
    return session


class Client:
    """Where a client comes from, as nginx's ip_hash sees it.

    python-engineio sends custom headers with the handshake only, so a polling
    client is placed by its source address; a WebSocket client makes one
    request, placed by the X-Forwarded-For it sends (nginx trusts it from
    127.0.0.1, as the recipe's realip lines say).
    """

    def __init__(self, source, forwarded_for):
        self.source = source
        self.forwarded_for = forwarded_for

    def options(self, transports):
        if transports == ('polling',):
            return {'http_session': session_from(self.source)}, {}
        return {}, {'X-Forwarded-For': self.forwarded_for}


class Deployment:
    def __init__(self):
        self.redis = servers.Redis()
        self.workers = [start_app(['-m', 'tests.sample_apps.everything'], backend=self.redis.url)
                        for _ in range(2)]
        self.nginx = Nginx([worker.port for worker in self.workers])
        self.clients = []

    def worker_pid(self, session=requests, headers=None):
        return session.get(self.nginx.url + '/stats', timeout=10, headers=headers).json()['pid']

    def clients_per_worker(self):
        """For each worker, a Client that nginx's ip_hash sends to it."""
        sources, forwarded = {}, {}
        for n in range(1, 60):
            sources.setdefault(self.worker_pid(session_from('127.0.%d.1' % n)), '127.0.%d.1' % n)
            address = '10.%d.0.7' % n
            forwarded.setdefault(self.worker_pid(headers={'X-Forwarded-For': address}), address)
            if len(sources) == len(forwarded) == 2:
                return [Client(sources[worker.popen.pid], forwarded[worker.popen.pid])
                        for worker in self.workers]
        raise AssertionError('ip_hash sent every address to one worker')

    def subscriber(self, origin, transports):
        """A reconnecting client of /rooms that (re)subscribes to room-1 on every connect."""
        client_options, headers = origin.options(transports)
        sio = socketio.Client(reconnection=True, reconnection_delay=0.2,
                              reconnection_delay_max=1, randomization_factor=0, **client_options)
        seen = Recorder()
        subscribed = threading.Event()
        sio.on('publication', lambda *args: seen('publication', *args), namespace='/rooms')

        def subscribe():  # not inside the handler: the namespace is not connected yet there
            sio.emit('subscribe', ('room', '1'), namespace='/rooms',
                     callback=lambda channel: subscribed.set())

        sio.on('connect', lambda: sio.start_background_task(subscribe), namespace='/rooms')
        sio.connect(self.nginx.url, namespaces=['/rooms'], socketio_path='socketio',
                    transports=list(transports), headers=headers,
                    wait_timeout=10)
        assert subscribed.wait(10)
        self.clients.append(sio)
        return sio, seen, subscribed

    def close(self):
        for sio in self.clients:
            sio.disconnect()
        self.nginx.stop()
        for worker in self.workers:
            worker.stop()
        self.redis.stop()


@pytest.fixture(scope='module')
def deployment():
    deployment = Deployment()
    yield deployment
    deployment.close()


def messages(recorder):
    return sorted(data['message'] for data, *_ in recorder.of('publication'))


def wait_until(condition, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_polling_and_websocket_clients_on_both_workers_hear_each_other(deployment):
    first, second = deployment.clients_per_worker()
    clients = {name: deployment.subscriber(address, transports) for name, address, transports in [
        ('polling-1', first, ('polling',)), ('websocket-1', first, ('websocket',)),
        ('polling-2', second, ('polling',)), ('websocket-2', second, ('websocket',))]}
    assert clients['polling-1'][0].transport() == 'polling'
    for worker in deployment.workers:  # two clients really are on each worker
        assert requests.get(worker.url + '/stats', timeout=10).json()['connections'] == 2
    for name, (sio, _, _) in clients.items():
        assert sio.call('post', ('room-1', 'from ' + name), namespace='/rooms') is True
    everything = sorted('from ' + name for name in clients)
    for _, seen, _ in clients.values():
        wait_until(lambda seen=seen: len(messages(seen)) >= 4)
        assert messages(seen) == everything


def test_kill_9_of_a_worker_sends_its_clients_to_the_other(deployment):
    first, second = deployment.clients_per_worker()
    doomed = [deployment.subscriber(first, ('websocket',)),
              deployment.subscriber(first, ('polling',))]
    survivor = deployment.subscriber(second, ('websocket',))
    for _, _, subscribed in doomed:
        subscribed.clear()
    deployment.workers[0].stop(signal.SIGKILL)
    for _, _, subscribed in doomed:  # reconnected through nginx, to the other worker
        assert subscribed.wait(30)
    assert deployment.worker_pid(session_from(first.source)) == deployment.workers[1].popen.pid
    requests.get(deployment.nginx.url + '/publish', params={'channel': 'room-1',
                                                            'message': 'after the crash'},
                 timeout=10).raise_for_status()
    for _, seen, _ in doomed + [survivor]:
        wait_until(lambda seen=seen: 'after the crash' in messages(seen))
