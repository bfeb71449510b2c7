"""The ``socketio.*`` configuration keys: defaults and .ini coercion."""
from tg.support.converters import asbool, asint, aslist

from ..pubsub.presence import DEFAULT_WINDOW as DEFAULT_PRESENCE_WINDOW
from ..pubsub.tokens import DEFAULT_TTL as DEFAULT_TOKEN_TTL

DEFAULTS = {
    'socketio.ping_interval': 25,
    'socketio.ping_timeout': 20,
    'socketio.cors_allowed_origins': None,
    'socketio.max_http_buffer_size': 1000000,
    'socketio.max_queued_packets': 1000,
    'socketio.slow_client_timeout': 5,
    'socketio.max_queued_events': 1000,
    'socketio.max_queued_bytes': 10000000,
    'socketio.max_outbound_bytes': 10000000,
    'socketio.max_answer_bytes': 500000,
    'socketio.max_attachments': 100,
    'socketio.max_sessions_per_address': 100,
    'socketio.trusted_proxies': [],
    'socketio.forwarded_header': 'X-Forwarded-For',
    'socketio.jsonp': False,
    'socketio.bound_cookies': None,
    'socketio.transports': ['polling', 'websocket'],
    'socketio.backend': 'memory://',
    'socketio.channel': 'tgext.socketio',
    'socketio.publication_event': 'publication',
    'socketio.error_event': 'error',
    'socketio.assets_dir': None,
    'socketio.assets_url': '/_socketio/',
    'socketio.logger': False,
    'socketio.transaction': 'auto',
    'socketio.history': '*:100:300',
    'socketio.token_secret': None,
    'socketio.token_ttl': DEFAULT_TOKEN_TTL,
    'socketio.presence_window': DEFAULT_PRESENCE_WINDOW,
}


def as_origins(value):
    """``''``/None: same origin only; ``'*'``: any; else a list of origins."""
    if value is None or value == '' or value == []:
        return None
    if value == '*':
        return '*'
    return aslist(value)


COERCION = {
    'socketio.ping_interval': float,
    'socketio.ping_timeout': float,
    'socketio.cors_allowed_origins': as_origins,
    'socketio.max_http_buffer_size': asint,
    'socketio.max_queued_packets': asint,
    'socketio.slow_client_timeout': float,
    'socketio.max_queued_events': asint,
    'socketio.max_queued_bytes': asint,
    'socketio.max_outbound_bytes': asint,
    'socketio.max_answer_bytes': asint,
    'socketio.max_attachments': asint,
    'socketio.max_sessions_per_address': asint,
    'socketio.trusted_proxies': aslist,
    'socketio.jsonp': asbool,
    'socketio.bound_cookies': lambda value: None if value is None else aslist(value),
    'socketio.transports': aslist,
    'socketio.logger': asbool,
    'socketio.transaction': lambda value: value if value == 'auto' else asbool(value),
    'socketio.token_ttl': float,
    'socketio.presence_window': float,
}


def bound_cookies(conf):
    """The cookies a session's requests must carry as its handshake did:
    ``socketio.bound_cookies``, or the app's identity and session cookies."""
    if conf.get('socketio.bound_cookies') is not None:
        return list(conf['socketio.bound_cookies'])
    auth = conf.get('sa_auth') if isinstance(conf.get('sa_auth'), dict) else {}
    return [conf.get('sa_auth.cookie_name') or auth.get('cookie_name') or 'authtkt',
            conf.get('session.key') or 'beaker.session.id']


#: Prefix of .ini keys passed to python-socketio's Server as they are (strings).
SERVER_OPTION_PREFIX = 'socketio.server.'


def server_options(conf):
    """Keyword arguments of the python-socketio server from a TG config.

    ``socketio.server_options`` (a dict, from the blueprint) and
    ``socketio.server.NAME = value`` keys (from an .ini) go to python-socketio's
    ``Server`` as they are: ``json``, ``cookie``, ``http_compression``, ...
    """
    passed = {key[len(SERVER_OPTION_PREFIX):]: value for key, value in conf.items()
              if isinstance(key, str) and key.startswith(SERVER_OPTION_PREFIX)}
    passed.update(conf.get('socketio.server_options') or {})
    options = dict(
        ping_interval=conf['socketio.ping_interval'],
        ping_timeout=conf['socketio.ping_timeout'],
        cors_allowed_origins=conf['socketio.cors_allowed_origins'],
        max_http_buffer_size=conf['socketio.max_http_buffer_size'],
        max_queued_packets=conf['socketio.max_queued_packets'],
        slow_client_timeout=conf['socketio.slow_client_timeout'],
        max_queued_events=conf['socketio.max_queued_events'],
        max_queued_bytes=conf['socketio.max_queued_bytes'],
        max_outbound_bytes=conf['socketio.max_outbound_bytes'],
        max_attachments=conf['socketio.max_attachments'],
        max_sessions_per_address=conf['socketio.max_sessions_per_address'],
        jsonp=conf['socketio.jsonp'],
        bound_cookies=bound_cookies(conf),
        transports=conf['socketio.transports'],
        logger=conf['socketio.logger'],
        engineio_logger=conf['socketio.logger'],
    )
    options.update(passed)
    return options
