import pytest

from tests.helpers import start_app


@pytest.fixture(scope='session')
def features():
    """The feature app on the memory backend, as a real gevent server."""
    process = start_app(['-m', 'tests.apps.features'])
    yield process
    process.stop()
