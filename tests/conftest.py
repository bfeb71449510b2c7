import pytest

from tests import servers
from tests.helpers import Process, client, free_port, start_app


@pytest.fixture(autouse=True)
def no_transaction_left_open():
    """A test that read through a zope.sqlalchemy session outside ``with transaction.manager``
    leaves this thread's implicit transaction open; publications of the next test's handlers
    (same thread: tests are not monkey-patched) would wait for its commit. End it."""
    yield
    import transaction
    transaction.abort()


@pytest.fixture(scope='module')
def redis():
    """A throwaway Redis on a free loopback port (:class:`tests.servers.Redis`), per module."""
    server = servers.Redis()
    yield server
    server.close()


@pytest.fixture(scope='module')
def browser():
    """Headless Debian Chromium (:mod:`tests.browser`), one per test module."""
    from tests.browser import chromium
    with chromium() as browser:
        yield browser


@pytest.fixture(scope='module')
def chat():
    """The chat as the README's first command serves it."""
    port = free_port()
    process = Process(['make', '--no-print-directory', 'demo', 'PORT=%d' % port], port=port,
                      timeout=120)
    yield process
    process.stop()


@pytest.fixture(scope='module')
def pingpong():
    process = start_app(['examples/pingpong/app.py'])
    yield process
    process.stop()


@pytest.fixture(scope='module')
def gallery():
    process = start_app(['-m', 'tests.sample_apps.gallery'])
    yield process
    process.stop()


@pytest.fixture(scope='session')
def features():
    """The feature app on the memory backend, as a real gevent server."""
    process = start_app(['-m', 'tests.sample_apps.everything'])
    yield process
    process.stop()


@pytest.fixture
def connect():
    """``helpers.client``, whose clients are all disconnected when the test ends."""
    clients = []

    def connect_client(*args, **kwargs):
        sio, recorder = client(*args, **kwargs)
        clients.append(sio)
        return sio, recorder
    yield connect_client
    for sio in clients:
        sio.disconnect()
