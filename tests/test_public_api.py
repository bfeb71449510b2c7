"""The public API: what users import and name stays where the README says it is."""
import subprocess
import sys
from importlib.metadata import distribution

import pytest

import tgext.socketio

#: Every name of ``from tgext.socketio import ...`` in the README and the examples.
PUBLIC_NAMES = ['HealthController', 'MetricsController', 'PendingPublication', 'PubSubNamespace',
                'PubSubTGNamespace', 'PublishError', 'SocketIOConfigurationComponent', 'SocketIOController',
                'SocketIOError', 'SocketIONamespace', 'SocketIOTGNamespace', 'history', 'on',
                'plugme', 'presence', 'presence_stats', 'publish']


@pytest.mark.parametrize('name', PUBLIC_NAMES)
def test_the_package_exports(name):
    assert name in tgext.socketio.__all__
    assert getattr(tgext.socketio, name) is not None


def test_the_public_modules_and_entry_points():
    from tgext.socketio.console import ConsoleController
    from tgext.socketio.serving import make_server, serve, server_factory
    from tgext.socketio.testing import SocketIOTestClient
    from tgext.socketio.live import LiveRows, configure, live, rows
    assert ConsoleController and make_server and serve and SocketIOTestClient
    assert LiveRows and configure and live and rows
    ours = {(point.group, point.name): point
            for point in distribution('tgext.socketio').entry_points}
    assert ours[('paste.server_factory', 'gevent')].load() is server_factory  # egg:...#gevent
    assert ours[('paste.app_factory', 'script')].load().__module__ == 'tgext.socketio.serving'


def test_the_command_line_keeps_its_commands():
    result = subprocess.run([sys.executable, '-m', 'tgext.socketio', '--help'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for command in ('publish', 'presence', 'channels', 'disconnect', 'history'):
        assert command in result.stdout


def test_the_public_history_is_the_function_once_the_stores_are_loaded():
    """The history stores once lived in a subpackage named ``history``, which replaced the
    package's ``history`` function as soon as it was imported."""
    import tgext.socketio.pubsub.stores  # noqa: F401 - what the servers load
    from tgext.socketio import history
    from tgext.socketio.pubsub.publishing import history as function
    assert history is function
