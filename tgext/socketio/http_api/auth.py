"""Who may call the HTTP API: an API key, or a request signed with a shared secret.

``socketio.api_keys``: keys (space or comma separated in an .ini) a caller sends as
``Authorization: Bearer KEY`` (or ``X-API-Key: KEY``). ``socketio.api_secret``: a
secret a caller signs with instead, sending ``X-Timestamp: <unix time>`` and
``X-Signature: <hex HMAC-SHA256 of "TIMESTAMP.METHOD PATH?QUERY.BODY">``, valid for
:data:`SIGNATURE_WINDOW` seconds. Without either, the API is off. Keys and
signatures are compared in constant time and never logged.
"""
import hashlib
import hmac
import time

#: Seconds a signed request is accepted after (and before) its timestamp.
SIGNATURE_WINDOW = 300


def enabled(conf):
    return bool(_keys(conf) or conf.get('socketio.api_secret'))


def refusal(conf, request, body):
    """None if ``request`` (whose body is ``body``) may call the API, else why not."""
    key = _presented_key(request)
    if key is not None:
        valid = [hmac.compare_digest(key.encode('utf-8'), known.encode('utf-8'))
                 for known in _keys(conf)]
        return None if any(valid) else 'unknown API key'
    secret = conf.get('socketio.api_secret')
    signature, stamp = request.headers.get('X-Signature'), request.headers.get('X-Timestamp')
    if not secret or not signature or not stamp:
        return 'send Authorization: Bearer KEY, or X-Timestamp and X-Signature'
    try:
        if abs(time.time() - float(stamp)) > SIGNATURE_WINDOW:
            return 'X-Timestamp is more than %d s away from now' % SIGNATURE_WINDOW
    except ValueError:
        return 'X-Timestamp is not a number'
    expected = sign(secret, stamp, request.method, request.path_qs, body)
    return None if hmac.compare_digest(expected, signature.strip().lower()) else 'bad signature'


def sign(secret, stamp, method, path_qs, body):
    """The ``X-Signature`` of a request (what a caller computes)."""
    message = ('%s.%s %s.' % (stamp, method.upper(), path_qs)).encode('utf-8') + body
    return hmac.new(str(secret).encode('utf-8'), message, hashlib.sha256).hexdigest()


def _keys(conf):
    value = conf.get('socketio.api_keys') or []
    if isinstance(value, str):
        value = value.replace(',', ' ').split()
    return [str(key) for key in value if key]


def _presented_key(request):
    header = request.headers.get('Authorization', '')
    if header[:7].lower() == 'bearer ':
        return header[7:].strip()
    return request.headers.get('X-API-Key')
