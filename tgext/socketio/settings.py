"""The ``socketio.*`` configuration keys: defaults and .ini coercion."""
from tg.support.converters import asbool, asint, aslist

DEFAULTS = {
    'socketio.ping_interval': 25,
    'socketio.ping_timeout': 20,
    'socketio.cors_allowed_origins': None,
    'socketio.max_http_buffer_size': 1000000,
    'socketio.max_queued_packets': 1000,
    'socketio.slow_client_timeout': 5,
    'socketio.max_queued_events': 1000,
    'socketio.max_queued_bytes': 10000000,
    'socketio.max_attachments': 100,
    'socketio.max_sessions_per_address': 100,
    'socketio.transports': ['polling', 'websocket'],
    'socketio.backend': 'memory://',
    'socketio.channel': 'tgext.socketio',
    'socketio.publication_event': 'publication',
    'socketio.error_event': 'error',
    'socketio.assets_dir': None,
    'socketio.assets_url': '/_socketio/',
    'socketio.logger': False,
}


def as_origins(value):
    """``''``/None: same origin only; ``'*'``: any; else a list of origins."""
    if value is None or value == '' or value == []:
        return None
    if value == '*':
        return '*'
    return aslist(value)


COERCION = {
    'socketio.ping_interval': asint,
    'socketio.ping_timeout': asint,
    'socketio.cors_allowed_origins': as_origins,
    'socketio.max_http_buffer_size': asint,
    'socketio.max_queued_packets': asint,
    'socketio.slow_client_timeout': asint,
    'socketio.max_queued_events': asint,
    'socketio.max_queued_bytes': asint,
    'socketio.max_attachments': asint,
    'socketio.max_sessions_per_address': asint,
    'socketio.transports': aslist,
    'socketio.logger': asbool,
}


def server_options(conf):
    """Keyword arguments of the python-socketio server from a TG config."""
    return dict(
        ping_interval=conf['socketio.ping_interval'],
        ping_timeout=conf['socketio.ping_timeout'],
        cors_allowed_origins=conf['socketio.cors_allowed_origins'],
        max_http_buffer_size=conf['socketio.max_http_buffer_size'],
        max_queued_packets=conf['socketio.max_queued_packets'],
        slow_client_timeout=conf['socketio.slow_client_timeout'],
        max_queued_events=conf['socketio.max_queued_events'],
        max_queued_bytes=conf['socketio.max_queued_bytes'],
        max_attachments=conf['socketio.max_attachments'],
        max_sessions_per_address=conf['socketio.max_sessions_per_address'],
        transports=conf['socketio.transports'],
        logger=conf['socketio.logger'],
        engineio_logger=conf['socketio.logger'],
    )
