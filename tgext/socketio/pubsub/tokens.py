"""Subscription tokens: a controller's authorization, carried by the page to the socket.

A controller that has decided a user may see a channel (it just read the
channel's rows for that user) issues a token for it; the page's widget
subscribes with ``('subscribe', {"token": ...})`` instead of naming a
subscribe hook, so the decision is not made twice by two code paths. A token
names the channel, the namespace, the user (``repoze.who.userid``, or none for
anonymous) and an expiry, signed with HMAC-SHA256 by ``socketio.token_secret``
(default: the app's ``session.secret``, ``beaker.session.secret`` or
``sa_auth.cookie_secret``). A forged, expired or replayed token (another
user, another namespace) is refused with ``subscription_rejected`` and a
``reason``: ``invalid_token``, ``expired_token`` or ``token_elsewhere``.
"""
import base64
import hashlib
import hmac
import json
import time

from ..namespaces.errors import SubscriptionRejected

#: Seconds a token is valid unless ``socketio.token_ttl`` says otherwise.
DEFAULT_TTL = 3600

#: The configuration keys a secret is taken from, in this order.
SECRET_KEYS = ('socketio.token_secret', 'session.secret', 'beaker.session.secret',
               'sa_auth.cookie_secret')


def secret_of(conf):
    """The secret tokens are signed with (bytes), or None: then no token is issued."""
    for key in SECRET_KEYS:
        if conf.get(key):
            return str(conf[key]).encode('utf-8')
    return None


def issue(secret, channel, namespace, userid, ttl):
    """A token for ``userid`` (None: anonymous) to subscribe to ``channel`` of ``namespace``."""
    claims = {'c': channel, 'n': namespace, 'u': userid, 'e': int(time.time() + ttl)}
    body = _encode(json.dumps(claims, separators=(',', ':')).encode('utf-8'))
    return body + '.' + _encode(_signature(secret, body))


def verify(secret, token, namespace, userid):
    """The channel ``token`` stands for, for ``userid`` in ``namespace``.

    Raises :class:`SubscriptionRejected` with the reason it is refused.
    """
    if secret is None:
        raise SubscriptionRejected('this app issues no subscription tokens '
                                   '(no socketio.token_secret)', reason='invalid_token')
    if not isinstance(token, str) or token.count('.') != 1 or len(token) > 4096:
        raise SubscriptionRejected('malformed subscription token', reason='invalid_token')
    body, signature = token.split('.')
    try:
        valid = hmac.compare_digest(_decode(signature), _signature(secret, body))
        claims = json.loads(_decode(body)) if valid else None
    except (ValueError, TypeError):
        valid = False
    if not valid or not isinstance(claims, dict):
        raise SubscriptionRejected('forged subscription token', reason='invalid_token')
    if not isinstance(claims.get('e'), int) or claims['e'] < time.time():
        raise SubscriptionRejected('expired subscription token', reason='expired_token')
    if claims.get('n') != namespace or claims.get('u') != userid:
        raise SubscriptionRejected('this subscription token was issued to another user or '
                                   'namespace', reason='token_elsewhere')
    return claims['c']


def _signature(secret, body):
    return hmac.new(secret, b'tgext.socketio token ' + body.encode('ascii'),
                    hashlib.sha256).digest()


def _encode(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b'=').decode('ascii')


def _decode(text):
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))
