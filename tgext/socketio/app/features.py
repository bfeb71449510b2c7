"""The features every python-socketio server of the app gets beside Socket.IO.

Each is a function ``attach(server, bus, hooks)`` that registers what the
feature needs: handlers of bus messages (``bus.on``) and listeners of the
server's hooks (:mod:`tgext.socketio.namespaces.hooks`). The core knows none of
them; :func:`tgext.socketio.app.endpoint.build_server` attaches these, in this
order, before the server's bus listener starts. A feature of one's own goes
in ``socketio.features`` (a list of such functions, from the app's blueprint),
attached after these.
"""
from tg.support.converters import asbool

from ..cluster import activity, health, operations
from ..pubsub import presence


def outbox_relay(server, bus, hooks):
    """The relay of the live outbox, when ``socketio.outbox`` is on (SQLAlchemy is only
    imported then)."""
    if asbool(server.runtime.conf.get('socketio.outbox', False)):
        from ..live import outbox
        outbox.attach(server, bus, hooks)


#: Presence tables, the health probe, the operators' questions, the console's live log, the
#: relay of the live outbox.
FEATURES = (presence.attach, health.attach, operations.attach, activity.attach, outbox_relay)
