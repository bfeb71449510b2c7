"""Choosing a backend by URL, built-in or registered by another package."""
import subprocess
import textwrap

import pytest
import socketio

from tests.helpers import PYTHON
from tgext.socketio.pubsub import backends
from tgext.socketio.edge.packets import emit_json


def test_builtin_schemes():
    assert backends.manager_class('memory://').__name__ == 'MemoryManager'
    assert backends.manager_class('redis://127.0.0.1:6379/0').__name__ == 'RedisManager'
    assert backends.manager_class('amqp://guest:guest@127.0.0.1//').__name__ == 'AmqpManager'
    assert backends.manager_class('mongodb://127.0.0.1/db').__name__ == 'MongoManager'


def test_unknown_scheme_says_what_is_known():
    with pytest.raises(ValueError, match='unknown socketio.backend .*nats://.*memory://'):
        backends.manager_class('nats://user:secret@host')


def test_passwords_never_reach_logs_or_errors():
    assert backends.redacted('amqp://guest:secret@host//') == 'amqp://guest:***@host//'
    with pytest.raises(ValueError) as error:
        backends.manager_class('nats://user:secret@host')
    assert 'secret' not in str(error.value)


def test_memory_backend_cannot_be_published_to_from_outside():
    with pytest.raises(backends.PublishError, match='memory:// backend reaches only'):
        backends.client_manager('memory://', write_only=True)


def test_a_third_party_backend_registers_by_entry_point(tmp_path):
    (tmp_path / 'fake_bus.py').write_text(textwrap.dedent('''
        import socketio

        class FakeBusManager(socketio.Manager):
            def __init__(self, url, channel=None, write_only=False):
                super().__init__()
                self.url = url
    '''))
    dist_info = tmp_path / 'fake_bus-1.0.dist-info'
    dist_info.mkdir()
    (dist_info / 'METADATA').write_text('Metadata-Version: 2.1\nName: fake-bus\nVersion: 1.0\n')
    (dist_info / 'entry_points.txt').write_text(
        '[tgext.socketio.backends]\nfakebus = fake_bus:FakeBusManager\n')
    code = ('from tgext.socketio.pubsub import backends\n'
            'manager = backends.client_manager("fakebus://somewhere")\n'
            'print(type(manager).__name__, manager.url)\n')
    result = subprocess.run([PYTHON, '-c', code], capture_output=True, text=True, timeout=60,
                            env={'PYTHONPATH': str(tmp_path), 'PATH': '/usr/bin:/bin'})
    assert result.stdout.strip() == 'FakeBusManager fakebus://somewhere', result.stderr


def test_a_publication_on_the_bus_is_the_message_python_socketio_would_publish():
    """emit_json builds python-socketio's bus message itself (skipping its walk for binary):
    other processes' python-socketio must read it as its own."""
    published = []

    class Manager(socketio.PubSubManager):
        def _publish(self, data):
            published.append(data)
    manager = Manager(write_only=True)
    args = ({'live': [{'model': 'Todo', 'upsert': [{'id': 1, 'text': 'milk'}]}]}, 'todos-1',
            'e.1')
    manager.emit('publication', args, namespace='/todos', room='channel:todos-1')
    emit_json(manager, 'publication', args, '/todos', 'channel:todos-1')
    assert published[0] == published[1]
