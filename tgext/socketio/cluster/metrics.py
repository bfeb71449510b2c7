"""Prometheus metrics of this process, exposed by a mountable page.

Each python-socketio server counts what it does (its ``counters``), and
publishing and the bus count what the backend refused, whether or not
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
from tg import expose, response
from tg.controllers import TGController

from ..edge.overrides import COUNTERS
from ..namespaces.runtime import current
from ..pubsub import bus as busmodule


def bus_publish_errors(server):
    """Publications and bus messages of ``server`` that its history store or backend refused."""
    target = getattr(server, 'tgext_publishing', None)
    server_bus = busmodule.of(server)
    return ((target.failures if target is not None else 0)
            + (server_bus.publish_errors if server_bus is not None else 0))


def samples(runtime):
    """``{metric: value}`` summed over the servers of ``runtime``."""
    totals = dict.fromkeys(COUNTERS + ('bus_publish_errors',), 0)
    connections, lag, healthy = 0, None, 1
    for server in runtime.servers:
        for name in COUNTERS:
            totals[name] += getattr(server.counters, name)
        totals['bus_publish_errors'] += bus_publish_errors(server)
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
        body, content_type = render(current())
        response.headers['Content-Type'] = content_type
        return body
