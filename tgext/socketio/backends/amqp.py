"""``amqp://``: fan-out through a RabbitMQ fanout exchange (kombu)."""
import threading
import time

import socketio

from . import PublishError


class AmqpManager(socketio.KombuManager):
    """python-socketio's Kombu manager, safe under concurrent publishes,
    raising when a publish fails.

    The stock manager builds a producer (and redeclares the exchange) on the
    one publisher connection for every message, from whichever greenlet
    publishes: concurrent publishes then read each other's replies on that
    socket and one of them hangs forever. Here publishes take turns on one
    producer. The stock manager also retries forever while the broker is
    down; here it retries briefly, then raises :class:`PublishError`, and for
    ``retry_after`` seconds after a failure publishes fail at once: otherwise each
    publish queued behind the lock (the bus's own probes and heartbeats among
    them) would spend its own retries, and a request could wait for all of them.
    """

    name = 'amqp'
    publish_retries = 2
    retry_after = 1.0

    def __init__(self, url, channel='tgext.socketio', write_only=False):
        super().__init__(url, channel=channel, write_only=write_only,
                         connection_options={'connect_timeout': 2})
        self._publish_turn = threading.Lock()  # a greenlet lock once gevent has patched
        self._ensured_publish = None
        self._failed = None  # (when, why) of the last failed publish

    def _publish(self, data):
        message = self.json.dumps(data)
        with self._publish_turn:
            if self._failed and time.monotonic() - self._failed[0] < self.retry_after:
                raise PublishError('cannot publish to RabbitMQ: %s' % self._failed[1])
            try:
                self._publisher()(message)
            except Exception as exc:
                self._ensured_publish = None
                self.publisher_connection.collect()
                self._failed = (time.monotonic(), exc)
                raise PublishError('cannot publish to RabbitMQ: %s' % exc) from exc
            self._failed = None

    def _publisher(self):
        """``producer.publish`` with bounded retries, built once per connection."""
        if self._ensured_publish is None:
            connection = self.publisher_connection
            producer = connection.Producer(exchange=self._exchange(), **self.producer_options)
            self._ensured_publish = connection.ensure(
                producer, producer.publish, max_retries=self.publish_retries,
                interval_start=0.1, interval_step=0.2, interval_max=0.5)
        return self._ensured_publish
