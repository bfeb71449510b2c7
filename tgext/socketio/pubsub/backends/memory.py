"""``memory://``: the subscribers of one process, no bus."""
import socketio

from . import PublishError


class MemoryManager(socketio.Manager):
    """python-socketio's in-process manager, built from a URL."""

    def __init__(self, url='memory://', channel=None, write_only=False):
        if write_only:
            raise PublishError('the memory:// backend reaches only the subscribers of '
                               'its own process: publish from outside needs redis://, '
                               'amqp:// or mongodb://')
        super().__init__()
