"""What binds an Engine.IO session to the client whose handshake opened it.

A sid is a bearer token: python-engineio serves whoever sends it. Every request
of a session must come from the handshake's client address (``REMOTE_ADDR``, as
:mod:`.addresses` made it) and, for each bound cookie the handshake carried
(the TurboGears identity and session cookies), with the same value; otherwise
it is refused and the session is left to its owner. The handshake is where
TurboGears' predicates ran, so they hold for every request of the session.
"""


class Owner:
    """The client address and the bound cookies of a handshake."""

    __slots__ = ('address', 'cookies')

    def __init__(self, environ, cookie_names):
        self.address = environ.get('REMOTE_ADDR')
        sent = cookies_of(environ)
        self.cookies = tuple((name, sent[name]) for name in cookie_names if name in sent)

    def owns(self, environ):
        """Whether the request ``environ`` comes from this owner."""
        if environ.get('REMOTE_ADDR') != self.address:
            return False
        if not self.cookies:
            return True
        sent = cookies_of(environ)
        return all(sent.get(name) == value for name, value in self.cookies)


def cookies_of(environ):
    """``{name: value}`` of the request's Cookie header (a malformed pair is skipped)."""
    found = {}
    for pair in environ.get('HTTP_COOKIE', '').split(';'):
        name, equals, value = pair.strip().partition('=')
        if equals and name not in found:
            found[name] = value.strip()
    return found
