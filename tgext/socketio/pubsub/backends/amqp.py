"""``amqp://``: fan-out through a durable RabbitMQ fanout exchange (kombu).

Delivery survives a broker crash: the exchange ``<channel>.durable`` and each
listener's queue ``<channel>.durable.<uuid>`` are durable, messages are
persistent and every publish waits for the broker's confirm, so a publish
that returned is on the broker's disk, routed to every listening process's
queue. A listener that loses the broker reconnects to its own queue and reads
what was routed meanwhile; a queue left without its listener for
``queue_expires`` seconds is deleted by the broker. The ``.durable`` suffix
keeps the exchange apart from the transient ``<channel>`` exchange of earlier
versions (RabbitMQ refuses to redeclare an exchange with another durability).
"""
import select
import threading
import time
import uuid

import kombu
import socketio

from . import PublishError
from .unanswered import PATIENCE, NotSent, RecentIds, Unanswered, until_answered


class AmqpManager(socketio.KombuManager):
    """python-socketio's Kombu manager, exactly once across broker restarts,
    safe under concurrent publishes, raising when a publish fails.

    The stock manager builds a producer (and redeclares the exchange) on the
    one publisher connection for every message, from whichever greenlet
    publishes: concurrent publishes then read each other's replies on that
    socket and one of them hangs forever. Here publishes take turns on one
    producer. The stock manager also retries forever while the broker is
    down; here it retries briefly, then raises :class:`PublishError`, and for
    ``retry_after`` seconds after a failure publishes fail at once: otherwise each
    publish queued behind the lock (the bus's own probes and heartbeats among
    them) would spend its own retries, and a request could wait for all of them.

    A message can reach a queue twice (a publish retried after a lost confirm)
    or be redelivered (its ack lost in a broker crash): each carries a
    ``message_id`` and the listener skips ids it has just seen.
    """

    name = 'amqp'
    publish_retries = 2
    retry_after = 1.0
    confirm_timeout = 5.0   # seconds a publish waits for the broker's confirm
    queue_expires = 60      # seconds a queue outlives its listener's last connection
    listen_retry_max = 5    # seconds between a listener's reconnections, at most
    remembered_ids = 10000  # message ids a listener remembers to skip duplicates
    unanswered_patience = 3 * PATIENCE  # a node restarted after a crash takes ~10 s to accept

    def __init__(self, url, channel='tgext.socketio', write_only=False):
        super().__init__(url, channel=channel, write_only=write_only, connection_options={
            'connect_timeout': 2, 'transport_options': {'confirm_publish': True}})
        self._publish_turn = threading.Lock()  # a greenlet lock once gevent has patched
        self._ensured_publish = None
        self._failed = None  # (when, why) of the last failed publish

    def _exchange(self):
        return kombu.Exchange(self.channel + '.durable', type='fanout', durable=True)

    def _queue(self):
        exchange = self._exchange()
        return kombu.Queue('%s.%s' % (exchange.name, uuid.uuid4().hex), exchange, durable=True,
                           queue_arguments={'x-expires': self.queue_expires * 1000})

    def _publish(self, data):
        message = self.json.dumps(data)
        message_id = uuid.uuid4().hex  # the same for every retry of this publish
        with self._publish_turn:
            if self._failed and time.monotonic() - self._failed[0] < self.retry_after:
                raise PublishError('cannot publish to RabbitMQ: %s' % self._failed[1])
            try:
                until_answered(lambda retry: self._publish_once(message, message_id),
                               self.unanswered_patience)
            except (NotSent, Unanswered) as exc:
                self._failed = (time.monotonic(), exc)
                raise PublishError('cannot publish to RabbitMQ: %s' % exc) from exc
            self._failed = None

    def _publish_once(self, message, message_id):
        """Publish and wait for the confirm: :class:`.Unanswered` if it failed on a
        connection that was up (the broker may have the message), else :class:`.NotSent`."""
        was_up = self._publisher_is_up()
        if not was_up and self._ensured_publish is not None:  # closed by the broker
            self._drop_publisher()
        try:
            self._publisher()(message, message_id=message_id,
                              confirm_timeout=self.confirm_timeout)
        except Exception as exc:
            self._drop_publisher()
            raise (Unanswered if was_up else NotSent)(exc) from exc

    def _drop_publisher(self):
        """Forget the publisher and its connection: the next publish builds new ones."""
        self._ensured_publish = None
        self.publisher_connection.collect()

    def _publisher_is_up(self):
        """The publisher's connection is open and the broker has not closed it. A broker
        that stopped or died left a close frame or an end of file to read on it; nothing
        else arrives unasked (each publish reads its own confirm)."""
        connection = self.publisher_connection
        if self._ensured_publish is None or not connection.connected:
            return False
        readable, _, _ = select.select([connection.connection.sock], [], [], 0)
        return not readable

    def _publisher(self):
        """``producer.publish`` with bounded retries, built once per connection."""
        if self._ensured_publish is None:
            connection = self.publisher_connection
            producer = connection.Producer(exchange=self._exchange(), **self.producer_options)
            self._ensured_publish = connection.ensure(
                producer, producer.publish, max_retries=self.publish_retries,
                interval_start=0.1, interval_step=0.2, interval_max=0.5)
        return self._ensured_publish

    def _listen(self):
        """The payloads of this listener's queue, once each; the same queue across reconnections."""
        queue = self._queue()
        seen = RecentIds(self.remembered_ids)
        retry_sleep = 1
        while True:
            try:
                with self._connection() as connection, connection.SimpleQueue(queue) as reader:
                    while True:
                        message = reader.get(block=True)
                        message.ack()
                        retry_sleep = 1
                        if seen.add(message.properties.get('message_id')):
                            yield message.payload
            except Exception as exc:
                self._get_logger().error('Cannot receive from RabbitMQ (%s), retrying in %s s',
                                         exc, retry_sleep)
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, self.listen_retry_max)
