"""``amqp://``: fan-out through a RabbitMQ fanout exchange (kombu)."""
import threading

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
    down; here it retries briefly, then raises :class:`PublishError`.
    """

    name = 'amqp'
    publish_retries = 2

    def __init__(self, url, channel='tgext.socketio', write_only=False):
        super().__init__(url, channel=channel, write_only=write_only,
                         connection_options={'connect_timeout': 2})
        self._publish_turn = threading.Lock()  # a greenlet lock once gevent has patched
        self._ensured_publish = None

    def _publish(self, data):
        message = self.json.dumps(data)
        with self._publish_turn:
            try:
                self._publisher()(message)
            except Exception as exc:
                self._ensured_publish = None
                self.publisher_connection.collect()
                raise PublishError('cannot publish to RabbitMQ: %s' % exc) from exc

    def _publisher(self):
        """``producer.publish`` with bounded retries, built once per connection."""
        if self._ensured_publish is None:
            connection = self.publisher_connection
            producer = connection.Producer(exchange=self._exchange(), **self.producer_options)
            self._ensured_publish = connection.ensure(
                producer, producer.publish, max_retries=self.publish_retries,
                interval_start=0.1, interval_step=0.2, interval_max=0.5)
        return self._ensured_publish
