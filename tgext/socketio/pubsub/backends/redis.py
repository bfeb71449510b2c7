"""``redis://``: fan-out through a Redis stream that every server reads.

A publication is an entry appended (``XADD``) to the stream named after the
channel, trimmed to about ``maxlen`` entries (``MAXLEN ~``; default 10000,
``redis://host/0?maxlen=N`` to change it). Each server reads the stream with
``XREAD BLOCK`` from the last entry id it saw, so a server that lost Redis
(a restart, a network error) resumes exactly where it stopped, as long as the
entries it missed were not trimmed meanwhile. Pub/sub (``PUBLISH``) would
drop, without anyone noticing, what was published while a server was
resubscribing.
"""
import time
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import socketio

from . import PublishError
from .redis_replies import run_once
from .unanswered import PATIENCE, NotSent, RecentIds, Unanswered, until_answered


class RedisManager(socketio.RedisManager):
    """python-socketio's Redis manager on a Redis stream, publishing apart from listening.

    Publishes wait for a free connection of their own pool (the stock manager
    raised "Too many connections" under a burst and, rebuilding its client,
    closed the listener's connection). A publish Redis never got raises
    :class:`PublishError` at once; one whose answer was lost (Redis killed in
    between) is sent again until Redis answers, for ``unanswered_patience``
    seconds (see :mod:`.unanswered`). Each entry carries a unique id, so
    that a publish sent twice is delivered once.
    """

    name = 'redis'
    publish_pool_size = 50
    maxlen = 10000
    block_ms = 5000
    read_count = 500
    unanswered_patience = PATIENCE

    def __init__(self, url, channel='tgext.socketio', write_only=False):
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        options = dict(query)
        if 'maxlen' in options:
            self.maxlen = int(options['maxlen'])
            url = urlunsplit(parts._replace(query=urlencode(
                [(key, value) for key, value in query if key != 'maxlen'])))
        super().__init__(url, channel=channel, write_only=write_only,
                         redis_options={'socket_connect_timeout': 2,
                                        'health_check_interval': 10})
        self._publish_pool = None

    def _publishing_pool(self):
        if self._publish_pool is None:
            self._publish_pool = self._get_redis_module().BlockingConnectionPool.from_url(
                self.redis_url, max_connections=self.publish_pool_size, timeout=5,
                socket_timeout=5, **self.redis_options)
        return self._publish_pool

    def _publish(self, data):
        command = ['XADD', self.channel, 'MAXLEN', '~', self.maxlen, '*',
                   'm', self.json.dumps(data), 'u', uuid.uuid4().hex]
        try:
            return until_answered(lambda retry: run_once(self._publishing_pool(), *command),
                                  self.unanswered_patience)
        except NotSent as exc:
            raise PublishError('cannot publish to Redis: %s' % exc) from exc
        except Unanswered as exc:
            raise PublishError('Redis did not answer a publish, which it may still deliver: '
                               '%s' % exc) from exc

    def _listen(self):
        """Yield each entry's message, reading on from the last id seen."""
        seen = RecentIds(10000)
        last_id = None
        retry_sleep = 1
        while True:
            client = None
            try:
                client = self._get_redis_module().Redis.from_url(
                    self.redis_url, socket_timeout=self.block_ms / 1000 + 5,
                    **self.redis_options)
                if last_id is None:  # first start: what was published before is not ours
                    newest = client.xrevrange(self.channel, count=1)
                    last_id = newest[0][0] if newest else b'0-0'
                while True:
                    batches = client.xread({self.channel: last_id}, count=self.read_count,
                                           block=self.block_ms)
                    retry_sleep = 1
                    for _, entries in batches or ():
                        for entry_id, fields in entries:
                            last_id = entry_id
                            if seen.add(fields.get(b'u')) and b'm' in fields:
                                yield fields[b'm']
            except Exception as exc:
                self._get_logger().error('Cannot receive from redis (%s), retrying in %s s '
                                         '(from entry %s)', exc, retry_sleep, last_id)
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, 5)
            finally:
                if client is not None:
                    client.close()
