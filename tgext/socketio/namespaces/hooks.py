"""The extension point: what features hear of one server, without the core knowing them.

The core calls the listeners of a hook where the thing happens; a feature
(presence, the console's live log, live data, SSE...) adds its listeners when
its server is built (see :mod:`tgext.socketio.app.features`), or only for as
long as it needs them. A hook is a tuple of listeners: the core tests it and
moves on when it is empty, so a hook nobody listens to costs one test.

=============================================== ================================================
``connection_opened(instance)``                 a connection's namespace object is connected
``connection_closed(instance)``                 it is gone, and its last event has run
``event_received(namespace, sid, data)``        a client event ``[name, *args]`` arrived (it runs
                                                later, in the connection's mailbox)
``channel_joined(instance, channel)``           a connection subscribed to ``channel``
``channel_left(instance, channel)``             it unsubscribed (a connection that closes leaves
                                                without this: see ``connection_closed``)
``publication_delivered(event, data, channel,`` a publication reached this server's subscribers
``position, namespace)``                        of ``channel`` (once per server, not per client)
=============================================== ================================================

A listener that raises fails what it heard: a ``channel_joined`` listener can
refuse a subscription with a :class:`~.errors.SocketIOError`. The fifth way in,
messages between server processes, is the bus's own: :meth:`.pubsub.bus.Bus.on`.
"""

#: The hooks every server has, in the order of the table above.
HOOKS = ('connection_opened', 'connection_closed', 'event_received', 'channel_joined',
         'channel_left', 'publication_delivered')


class Hooks:
    """The listeners of one server, per hook (attributes named after :data:`HOOKS`)."""

    __slots__ = HOOKS + ('__weakref__',)

    def __init__(self):
        for name in HOOKS:
            setattr(self, name, ())

    def add(self, hook, listener):
        """Call ``listener`` on ``hook`` from now on."""
        setattr(self, hook, getattr(self, hook) + (listener,))

    def remove(self, hook, listener):
        """Stop calling ``listener`` on ``hook`` (nothing if it was not listening)."""
        setattr(self, hook, tuple(known for known in getattr(self, hook) if known != listener))

    def call(self, hook, *args):
        """Call every listener of ``hook`` with ``args``, in the order they were added."""
        for listener in getattr(self, hook):
            listener(*args)


def of(server):
    """The :class:`Hooks` of ``server`` (given to it when it was built)."""
    return server.tgext_hooks
