"""Throwaway backend servers on free loopback ports: Redis, RabbitMQ, MongoDB protocol.

Each can be stopped and started again on the same port, for restart tests.
"""
import atexit
import os
import shutil
import signal
import subprocess
import tempfile

from tests.helpers import PYTHON, Process, free_port, wait_for_port

RABBITMQ_BIN = '/usr/lib/rabbitmq/bin'


class _Killable:
    def kill(self):
        """SIGKILL: the server dies without closing its connections."""
        self.process.stop(signal.SIGKILL)


class Redis(_Killable):
    """A Redis whose every write is fsynced to its append-only file before the reply:
    a publish that returned survives a kill -9."""

    def __init__(self, start=True):
        self.port = free_port()
        self.home = tempfile.mkdtemp(prefix='tgext-redis-')
        atexit.register(shutil.rmtree, self.home, True)  # for those who only stop() it
        self.url = 'redis://127.0.0.1:%s/0' % self.port
        if start:
            self.start()

    def start(self):
        self.process = Process([shutil.which('redis-server') or '/usr/bin/redis-server',
                                '--bind', '127.0.0.1', '--port', str(self.port), '--save', '',
                                '--dir', self.home, '--appendonly', 'yes',
                                '--appendfsync', 'always'], port=self.port)

    def stop(self):
        self.process.stop()

    def close(self):
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


class RabbitMQ(_Killable):
    """A private RabbitMQ node: its own name, ports, data, cookie and epmd."""

    def __init__(self, start=True):
        self.port = free_port()
        self.home = tempfile.mkdtemp(prefix='tgext-rabbitmq-')
        self.node = 'tgext%s@localhost' % self.port
        self.url = 'amqp://guest:guest@127.0.0.1:%s//' % self.port
        with open(os.path.join(self.home, 'enabled_plugins'), 'w') as plugins:
            plugins.write('[].')
        open(os.path.join(self.home, 'rabbitmq.conf'), 'w').close()
        epmd_port = free_port()
        self.env = {
            'HOME': self.home, 'RABBITMQ_NODENAME': self.node,
            'RABBITMQ_NODE_IP_ADDRESS': '127.0.0.1', 'RABBITMQ_NODE_PORT': str(self.port),
            'RABBITMQ_DIST_PORT': str(free_port()), 'ERL_EPMD_ADDRESS': '127.0.0.1',
            'ERL_EPMD_PORT': str(epmd_port),
            'RABBITMQ_MNESIA_BASE': os.path.join(self.home, 'mnesia'),
            'RABBITMQ_LOG_BASE': os.path.join(self.home, 'log'),
            'RABBITMQ_ENABLED_PLUGINS_FILE': os.path.join(self.home, 'enabled_plugins'),
            'RABBITMQ_CONFIG_FILE': os.path.join(self.home, 'rabbitmq'),
        }
        if start:
            self.start()

    def start(self):
        self.process = Process([os.path.join(RABBITMQ_BIN, 'rabbitmq-server')],
                               port=self.port, env=self.env, timeout=60)

    def stop(self):
        subprocess.run([os.path.join(RABBITMQ_BIN, 'rabbitmqctl'), '-n', self.node, 'stop'],
                       env={**os.environ, **self.env}, capture_output=True, timeout=60)
        self.process.stop()

    def close(self):
        self.stop()
        subprocess.run(['epmd', '-kill'], env={**os.environ, **self.env}, capture_output=True,
                       timeout=30)
        shutil.rmtree(self.home, ignore_errors=True)


class Mongo(_Killable):
    """A SecantusDB server (MongoDB wire protocol), or the one at ``MONGO_URL``.

    ``durable``: its data lives in a temporary directory and survives a restart
    or a kill, like a real mongod's; else it is in memory and a restart starts
    empty (the capped collection is gone).
    """

    def __init__(self, start=True, durable=True):
        self.external = os.environ.get('MONGO_URL')
        if self.external:
            self.url = self.external
            return
        self.storage = tempfile.mkdtemp(prefix='tgext-mongo-') if durable else ':memory:'
        if durable:
            atexit.register(shutil.rmtree, self.storage, True)
        self.port = free_port()
        self.url = 'mongodb://127.0.0.1:%s/tgext_socketio_tests' % self.port
        if start:
            self.start()

    def start(self):
        self.process = Process([os.path.join(os.path.dirname(PYTHON), 'secantusd-py'),
                                '--host', '127.0.0.1', '--port', str(self.port),
                                '--storage-path', self.storage, '--log-level', 'WARNING'],
                               port=self.port, timeout=60)
        wait_for_port(self.port)

    def stop(self):
        if not self.external:
            self.process.stop()

    def close(self):
        self.stop()
        if not self.external and self.storage != ':memory:':
            shutil.rmtree(self.storage, ignore_errors=True)


def close(server):
    getattr(server, 'close', server.stop)()
