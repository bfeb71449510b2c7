"""``amqp://``: fan-out through a RabbitMQ fanout exchange (kombu)."""
import socketio

from . import PublishError


class AmqpManager(socketio.KombuManager):
    """python-socketio's Kombu manager, raising when a publish fails.

    The stock manager retries a publish forever while the broker is down;
    here it retries briefly, then raises :class:`PublishError`.
    """

    name = 'amqp'
    publish_retries = 2

    def __init__(self, url, channel='tgext.socketio', write_only=False):
        super().__init__(url, channel=channel, write_only=write_only,
                         connection_options={'connect_timeout': 2})

    def _publish(self, data):
        producer = self.publisher_connection.Producer(exchange=self._exchange(),
                                                      **self.producer_options)
        publish = self.publisher_connection.ensure(
            producer, producer.publish, max_retries=self.publish_retries,
            interval_start=0.1, interval_step=0.2, interval_max=0.5)
        try:
            publish(self.json.dumps(data))
        except Exception as exc:
            self.publisher_connection.collect()
            raise PublishError('cannot publish to RabbitMQ: %s' % exc) from exc
