"""Throwaway servers on free loopback ports: Redis, RabbitMQ, MongoDB protocol, PostgreSQL.

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


POSTGRES_BINS = '/usr/lib/postgresql'


def postgres_bin(name):
    """A PostgreSQL server program (Debian's ``postgresql`` package keeps them per version)."""
    versions = sorted((entry for entry in os.listdir(POSTGRES_BINS) if entry.isdigit()),
                      key=int) if os.path.isdir(POSTGRES_BINS) else []
    for version in reversed(versions):
        path = os.path.join(POSTGRES_BINS, version, 'bin', name)
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name) or name


class Postgres(_Killable):
    """A throwaway PostgreSQL cluster (``initdb``, trust authentication) on a free port.

    PostgreSQL refuses to run as root: as root, it runs as ``nobody`` (its data directory
    handed over to it). ``url`` is a SQLAlchemy URL (psycopg2) of the ``postgres`` database.
    """

    def __init__(self, start=True):
        self.port = free_port()
        self.home = tempfile.mkdtemp(prefix='tgext-postgres-')
        atexit.register(shutil.rmtree, self.home, True)
        self.data = os.path.join(self.home, 'data')
        self.url = 'postgresql+psycopg2://postgres@127.0.0.1:%s/postgres' % self.port
        self.as_user = []
        if os.geteuid() == 0:
            os.chmod(self.home, 0o755)
            import pwd
            nobody = pwd.getpwnam('nobody')
            os.makedirs(self.data, 0o700)
            os.chown(self.data, nobody.pw_uid, nobody.pw_gid)
            self.as_user = ['runuser', '-u', 'nobody', '--']
        subprocess.run(self.as_user + [postgres_bin('initdb'), '-D', self.data, '-U', 'postgres',
                                       '--auth=trust', '--no-sync', '-E', 'UTF8'],
                       check=True, capture_output=True, timeout=120, cwd='/')
        if start:
            self.start()

    def start(self):
        self.process = Process(self.as_user + [
            postgres_bin('postgres'), '-D', self.data, '-p', str(self.port),
            '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
            '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
            port=self.port, cwd='/', timeout=60)

    def stop(self):
        self.process.stop(signal.SIGINT)  # fast shutdown

    def close(self):
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
