"""The extension point: what features hear of one server, without the core knowing them.

A feature (presence, the console's live log, an app's own...) adds its
listeners when its server is built (see :mod:`tgext.socketio.app.features`),
or only for as long as it needs them. Where the thing happens, the layer that
owns it calls the listeners. A hook is a tuple of listeners: where nobody
listens, the caller tests it and moves on.

=================================================== ======================== ====================
hook and its listeners' arguments                   called by                a listener raises
=================================================== ======================== ====================
``connection_opened(instance)``: a connection's      the namespace bridge     logged
namespace object is connected                        (:mod:`.bridge`)
``connection_closed(instance)``: it is gone, and     the namespace bridge     logged
its last event has run
``event_received(instance, data)``: a client event   the namespace bridge     logged
``[name, *args]`` arrived; it runs later, in the
connection's mailbox
``subscribing(instance, channel)``: a connection     ``PubSubNamespace``      the subscription is
asks to subscribe to ``channel``, and its subscribe                           refused: nothing
method allowed it; it has joined nothing yet                                  joined, nobody else
                                                                              told
``channel_joined(instance, channel)``: it is         ``PubSubNamespace``      logged
subscribed now (not told again when it subscribes
to a channel it already has)
``channel_left(instance, channel)``: it              ``PubSubNamespace``      logged
unsubscribed (a connection that closes does not
leave: see ``connection_closed``)
``publication_delivered(namespace, event, data,``    the manager's local      logged
``channel, position)``: a publication reached this   delivery (once per
server's subscribers (once per server, not per       server, see
client)                                              ``pubsub.delivery_hook``)
``presence_told(namespace, diff, channel)``: this    presence                 logged
server told its subscribers of a presence channel    (``pubsub.presence``)
who joined and left (``diff``: ``{'joins':
[member...], 'leaves': [member...]}``, the
``presence_diff`` event)
=================================================== ======================== ====================

Messages between server processes come in through the bus
(:meth:`tgext.socketio.pubsub.bus.Bus.on`). A feature keeps what it holds per
server on the server, as ``server.tgext_<feature>``, and offers a function that
finds it (e.g. :func:`tgext.socketio.pubsub.presence.tracker_of`).
"""
import logging

log = logging.getLogger(__name__)

#: The hooks every server has, in the order of the table above.
HOOKS = ('connection_opened', 'connection_closed', 'event_received', 'subscribing',
         'channel_joined', 'channel_left', 'publication_delivered', 'presence_told')

#: Hooks whose listeners may refuse what they hear by raising.
REFUSABLE = frozenset(['subscribing'])


class Hooks:
    """The listeners of one server, per hook (attributes named after :data:`HOOKS`)."""

    __slots__ = HOOKS + ('__weakref__',)

    def __init__(self):
        for name in HOOKS:
            setattr(self, name, ())

    def add(self, hook, listener):
        """Call ``listener`` on ``hook`` from now on."""
        setattr(self, _known(hook), getattr(self, hook) + (listener,))

    def remove(self, hook, listener):
        """Stop calling ``listener`` on ``hook`` (nothing if it was not listening)."""
        setattr(self, _known(hook), tuple(known for known in getattr(self, hook)
                                          if known != listener))

    def call(self, hook, *args):
        """Call every listener of ``hook`` with ``args``, in the order they were added.

        Listeners are called in the order they were added: the built-in features
        first, then ``socketio.features`` in its order. A listener that raises is
        logged and the others still hear it, except on a hook of :data:`REFUSABLE`,
        where the error goes to the caller and the listeners after it hear nothing.
        """
        listeners = getattr(self, hook)
        if hook in REFUSABLE:
            for listener in listeners:
                listener(*args)
            return
        for listener in listeners:
            try:
                listener(*args)
            except Exception:
                log.exception('Error in a %s listener', hook)


def _known(hook):
    if hook not in HOOKS:
        raise ValueError('no hook %r: the hooks are %s' % (hook, ', '.join(HOOKS)))
    return hook


def of(server):
    """The :class:`Hooks` of ``server`` (given to it when it was built)."""
    return server.tgext_hooks
