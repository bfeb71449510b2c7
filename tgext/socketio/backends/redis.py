"""``redis://``: fan-out through Redis PUBLISH/SUBSCRIBE (at most once)."""
import socketio

from . import PublishError


class RedisManager(socketio.RedisManager):
    """python-socketio's Redis manager, raising when a publish fails."""

    name = 'redis'

    def __init__(self, url, channel='tgext.socketio', write_only=False):
        super().__init__(url, channel=channel, write_only=write_only,
                         redis_options={'socket_connect_timeout': 2, 'socket_timeout': None,
                                        'health_check_interval': 10})

    def _publish(self, data):
        message = self.json.dumps(data)
        try:
            if not self.connected:
                self._redis_connect()
            return self.redis.publish(self.channel, message)
        except Exception:
            self.connected = False
        try:  # one reconnection, for a Redis that restarted since
            self._redis_connect()
            return self.redis.publish(self.channel, message)
        except Exception as exc:
            self.connected = False
            raise PublishError('cannot publish to Redis: %s' % exc) from exc
