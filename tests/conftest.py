import pytest

from tests.helpers import client, start_app


@pytest.fixture(scope='module')
def pingpong():
    process = start_app(['examples/pingpong/app.py'])
    yield process
    process.stop()


@pytest.fixture(scope='module')
def gallery():
    process = start_app(['-m', 'tests.apps.gallery'])
    yield process
    process.stop()


@pytest.fixture(scope='session')
def features():
    """The feature app on the memory backend, as a real gevent server."""
    process = start_app(['-m', 'tests.apps.features'])
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
