"""Health: is this process really hearing the bus? A round trip, not a flag.

Every ``interval`` seconds each server publishes a probe on the bus addressed
to itself and notes when it comes back through its own listener, and after
how long (the bus lag). The process is healthy when its last probe came back
less than ``stale_after`` seconds ago. ``memory://`` has no bus: always
healthy. Mount :class:`HealthController` anywhere::

    class RootController(TGController):
        health = HealthController()      # GET /health -> 200 or 503, JSON
"""
import logging
import os
import time

import gevent
from tg import expose, response
from tg.controllers import TGController

from ..namespaces.runtime import current

log = logging.getLogger(__name__)


class HealthProbe:
    """The round trips of one server's probes on the bus."""

    #: Seconds between two probes.
    interval = 2.0
    #: Unhealthy when no probe came back for this long.
    stale_after = 6.0

    def __init__(self, server, bus):
        self.server = server
        self.bus = bus
        self.started = None
        self.last_back = None    # monotonic time the last probe came back
        self.lag = None          # seconds the last probe took
        self.sent = self.back = 0
        bus.on('probe', self._received)
        bus.when_started(self._start)

    def _start(self):
        self.started = time.monotonic()
        if self.bus.distributed:
            gevent.spawn(self._probe)

    def _probe(self):
        while True:
            self.sent += 1
            self.bus.publish('probe', number=self.sent)
            gevent.sleep(self.interval)

    def _received(self, message):
        if message.get('host_id') != self.bus.host_id:
            return
        self.back += 1
        self.last_back = time.monotonic()
        self.lag = max(0.0, time.time() - message.get('sent', time.time()))

    def status(self):
        """``(healthy, details)``."""
        details = {'host_id': self.bus.host_id, 'bus': self.bus.distributed,
                   'listening': self.bus.listening, 'probes_sent': self.sent,
                   'probes_back': self.back, 'lag': self.lag}
        if not self.bus.distributed:
            return True, dict(details, reason='no bus (memory://)')
        if not self.bus.listening:
            return False, dict(details, reason='this process does not listen to the bus')
        if self.last_back is None:  # not ready before the bus has answered once
            return False, dict(details, reason='no probe came back from the bus yet (%.1f s)'
                               % (time.monotonic() - self.started))
        silence = time.monotonic() - self.last_back
        details['last_round_trip_age'] = round(silence, 3)
        if silence > self.stale_after:
            return False, dict(details, reason='no probe came back from the bus for %.1f s'
                               % silence)
        return True, dict(details, reason=None)


def attach(server, bus, hooks):
    """Give ``server`` its probe (a feature of :mod:`tgext.socketio.app.features`)."""
    server.tgext_health = HealthProbe(server, bus)
    return server.tgext_health


def check(runtime):
    """``(healthy, report)`` of every server of ``runtime``."""
    healthy, servers = True, []
    for server in runtime.servers:
        probe = getattr(server, 'tgext_health', None)
        if probe is None:
            continue
        ok, details = probe.status()
        healthy = healthy and ok
        servers.append(dict(details, healthy=ok, namespaces=sorted(server.namespace_handlers)))
    connections = sum(len(getattr(bridge, 'connections', ()))
                      for server in runtime.servers
                      for bridge in server.namespace_handlers.values())
    return healthy, {'status': 'ok' if healthy else 'unhealthy', 'pid': os.getpid(),
                     'connections': connections, 'servers': servers}


class HealthController(TGController):
    """``GET``: 200 and a JSON report, or 503 (and a warning in the log) when a server
    of this process does not hear its own probes on the bus."""

    @expose('json')
    def index(self, **kw):
        runtime = current()
        if runtime is None:
            response.status = 503
            return {'status': 'unhealthy', 'reason': 'tgext.socketio is not plugged in'}
        healthy, report = check(runtime)
        if not healthy:
            response.status = 503
            log.warning('Unhealthy: %s', '; '.join(
                server['reason'] for server in report['servers'] if not server['healthy']))
        return report
