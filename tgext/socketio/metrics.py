"""Prometheus metrics of this process, exposed by a mountable page.

Counters are kept on each python-socketio server whether or not
``prometheus_client`` is installed (``pip install tgext.socketio[metrics]``);
it is needed only to serve the page::

    class RootController(TGController):
        metrics = MetricsController()    # GET /metrics, Prometheus text format

======================================== =====================================================
``tgext_socketio_connections``           namespace connections open now (gauge)
``tgext_socketio_events_in_total``       events received from clients
``tgext_socketio_events_out_total``      events emitted by this process (emit, publish; one
                                         per call, whatever the number of recipients)
``tgext_socketio_deliveries_total``      event packets written to clients
``tgext_socketio_slow_client_drops_total`` clients dropped for not reading
``tgext_socketio_bus_publish_errors_total`` publishes the backend refused
``tgext_socketio_bus_lag_seconds``       last health probe's round trip on the bus (gauge)
``tgext_socketio_bus_healthy``           1 if the last probe came back in time (gauge)
======================================== =====================================================
"""
from socketio import packet
from tg import expose, response
from tg.controllers import TGController

COUNTERS = ('events_in', 'events_out', 'deliveries', 'slow_client_drops', 'bus_publish_errors')


class Counters:
    __slots__ = COUNTERS

    def __init__(self):
        for name in COUNTERS:
            setattr(self, name, 0)


def instrument(server):
    """Count on ``server``: wraps five of its methods on the instance (not the class).

    ``emit`` (events out), ``_handle_event`` (events in), ``_send_eio_packet`` and
    ``_send_packet`` (deliveries, the two ways python-socketio writes an event to a
    client), ``_drop`` (slow clients, see server.py), the manager's ``_publish`` and the
    history's ``record`` (bus errors). ``tests/test_metrics.py`` fails if any of them stops being called.
    """
    counters = server.tgext_counters = Counters()

    def wrap(owner, name, before=None, on_error=None):
        original = getattr(owner, name, None)
        if original is None:
            return

        def wrapper(*args, **kwargs):
            if before is not None:
                before(*args)
            if on_error is None:
                return original(*args, **kwargs)
            try:
                return original(*args, **kwargs)
            except Exception:
                on_error()
                raise
        wrapper.__wrapped__ = original
        setattr(owner, name, wrapper)

    def count(name):
        def increment(*args):
            setattr(counters, name, getattr(counters, name) + 1)
        return increment

    def count_event_packet(eio_sid, pkt, *rest):
        if pkt.packet_type in (packet.EVENT, packet.BINARY_EVENT):
            counters.deliveries += 1

    wrap(server, 'emit', count('events_out'))
    wrap(server, '_handle_event', count('events_in'))
    wrap(server, '_send_eio_packet', count('deliveries'))
    wrap(server, '_send_packet', count_event_packet)
    wrap(server, '_drop', count('slow_client_drops'))
    if hasattr(server.manager, '_publish'):
        wrap(server.manager, '_publish', on_error=count('bus_publish_errors'))
    # A publication is recorded in the history store before it goes on the bus.
    wrap(server.runtime.publishing_target(server), 'record', on_error=count('bus_publish_errors'))
    return counters


def samples(runtime):
    """``{metric: value}`` summed over the servers of ``runtime``."""
    totals = dict.fromkeys(COUNTERS, 0)
    connections, lag, healthy = 0, None, 1
    for server in runtime.servers:
        counters = getattr(server, 'tgext_counters', None)
        if counters is not None:
            for name in COUNTERS:
                totals[name] += getattr(counters, name)
        connections += sum(len(getattr(bridge, 'connections', ()))
                           for bridge in server.namespace_handlers.values())
        probe = getattr(server, 'tgext_health', None)
        if probe is not None:
            if probe.lag is not None:
                lag = probe.lag if lag is None else max(lag, probe.lag)
            if not probe.status()[0]:
                healthy = 0
    return dict(totals, connections=connections, bus_lag=lag, bus_healthy=healthy)


def render(runtime):
    """The Prometheus text exposition of ``runtime``'s metrics: ``(body, content type)``."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
    from prometheus_client.exposition import CONTENT_TYPE_LATEST

    values = samples(runtime)

    class Collector:
        def collect(self):
            yield GaugeMetricFamily('tgext_socketio_connections',
                                    'Namespace connections open now',
                                    value=values['connections'])
            for name, help_text in [
                    ('events_in', 'Events received from clients'),
                    ('events_out', 'Events emitted by this process'),
                    ('deliveries', 'Event packets written to clients'),
                    ('slow_client_drops', 'Clients dropped for not reading'),
                    ('bus_publish_errors', 'Publishes the bus backend refused')]:
                yield CounterMetricFamily('tgext_socketio_' + name, help_text,
                                          value=values[name])
            if values['bus_lag'] is not None:
                yield GaugeMetricFamily('tgext_socketio_bus_lag_seconds',
                                        'Round trip of the last health probe on the bus',
                                        value=values['bus_lag'])
            yield GaugeMetricFamily('tgext_socketio_bus_healthy',
                                    '1 if the last health probe came back in time',
                                    value=values['bus_healthy'])

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Collector())
    return generate_latest(registry), CONTENT_TYPE_LATEST


class MetricsController(TGController):
    """``GET``: this process's metrics in Prometheus' text format."""

    @expose()
    def index(self, **kw):
        from .runtime import current
        body, content_type = render(current())
        response.headers['Content-Type'] = content_type
        return body
