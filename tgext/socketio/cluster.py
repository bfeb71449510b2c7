"""What each python-socketio server of the app gets beside Socket.IO: the bus extension
(:mod:`.bus`), presence tables (:mod:`.membership`), the health probe (:mod:`.health`),
the operators' queries (:mod:`.operations`),
the console's live log (:mod:`.console.activity`)
and metrics counters (:mod:`.metrics`). ``runtime._listen`` calls :func:`attach`
before the server's bus listener starts and :func:`started` once it runs."""
from . import bus, health, membership, metrics, operations
from .console import activity


def attach(server):
    server_bus = bus.attach(server)
    metrics.instrument(server)
    membership.attach(server, server_bus)
    health.attach(server, server_bus)
    operations.attach(server, server_bus)
    activity.attach(server, server_bus)


def started(server):
    bus.of(server).start()
