"""``redis://``: fan-out through Redis PUBLISH/SUBSCRIBE (at most once)."""
import socketio

from . import PublishError


class RedisManager(socketio.RedisManager):
    """python-socketio's Redis manager, with publishing kept apart from listening.

    The stock manager publishes through the listener's client, raises
    "Too many connections" under a burst of concurrent publishes (redis-py's
    pool holds 100), and on any publish error rebuilds that client, closing
    the connection the listener reads: that process then misses everything
    published until it resubscribes. Here publishes wait for a free connection
    of their own pool, a failed publish rebuilds only the publishing client,
    and a publish that still fails raises :class:`PublishError`.
    """

    name = 'redis'
    publish_pool_size = 50

    def __init__(self, url, channel='tgext.socketio', write_only=False):
        super().__init__(url, channel=channel, write_only=write_only,
                         redis_options={'socket_connect_timeout': 2, 'health_check_interval': 10})
        self._publisher = None

    def _publishing_client(self):
        if self._publisher is None:
            module = self._get_redis_module()
            pool = module.BlockingConnectionPool.from_url(
                self.redis_url, max_connections=self.publish_pool_size, timeout=5,
                **self.redis_options)
            self._publisher = module.Redis(connection_pool=pool)
        return self._publisher

    def _publish(self, data):
        message = self.json.dumps(data)
        try:
            return self._publishing_client().publish(self.channel, message)
        except Exception:
            self._publisher = None
        try:  # one reconnection, for a Redis that restarted since
            return self._publishing_client().publish(self.channel, message)
        except Exception as exc:
            self._publisher = None
            raise PublishError('cannot publish to Redis: %s' % exc) from exc
