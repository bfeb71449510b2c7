"""PubSubNamespace: clients subscribe to channels that anyone can publish to."""
from . import dispatch, publishing
from .errors import SocketIOError, SubscriptionRejected
from .namespace import SocketIONamespace
from .membership import PresenceMixin  # presence tables (membership.py)


class PubSubNamespace(PresenceMixin, SocketIONamespace):
    """A namespace whose clients subscribe to channels.

    The client emits ``('subscribe', name, *args)``; the server calls
    ``subscribe_<name>(*args)`` (with ``@require``/``@validate`` applied),
    which returns the channel to join, ``None`` for ``name`` itself, or
    ``False`` to refuse. A refusal (``False``, a denied predicate, invalid
    arguments, an error) sends a ``subscription_rejected`` error and joins
    nothing. The acknowledgement is the channel. ``('unsubscribe', channel)``
    leaves it. Every subscriber receives ``publication(data, channel)``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channels = set()

    def on_subscribe(self, name, *args):
        hook = None
        if isinstance(name, str) and name.isidentifier():
            hook = getattr(self, 'subscribe_' + name, None)
        if not callable(hook):
            raise SubscriptionRejected('no subscription named %r' % (name,))
        try:
            channel = dispatch.call(hook, args, self.request.environ)
        except SocketIOError as error:
            raise SubscriptionRejected(error.message, reason=error.name, **error.details) from None
        if channel is False:
            raise SubscriptionRejected('subscription to %r refused' % (name,))
        if channel is None:
            channel = name
        self.join(publishing.room(channel))
        self.channels.add(channel)
        self._presence_joined(channel)  # membership.py: a no-op unless a presence channel
        return channel

    def on_unsubscribe(self, channel):
        if channel in self.channels:
            self.leave(publishing.room(channel))
            self.channels.discard(channel)
            self._presence_left(channel)  # membership.py
        return channel

    def publish(self, channel, data):
        """Deliver ``data`` to every subscriber of ``channel`` in this namespace."""
        publishing.publish(channel, data, namespace=self.namespace)


PubSubTGNamespace = PubSubNamespace
