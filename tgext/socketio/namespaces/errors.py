"""Errors a client receives as an ``error`` event.

A handler may raise any of these (or :class:`SocketIOError` with a name of
its own); the dispatcher turns them into the event payload
``{"name": ..., "message": ..., **details}`` and, when the client asked for
an acknowledgement, acknowledges with ``{"error": payload}``.

Names a client chose (events, subscriptions, channels) are echoed in errors, and shown
in the console, cut to :data:`NAME_CHARS` characters (:func:`shown`).
"""

#: Characters of a client-chosen name that errors echo and the console shows.
NAME_CHARS = 100


def shown(name):
    """``name`` as errors and the console show it: its ``repr`` if it is not a string,
    cut to :data:`NAME_CHARS` characters (the last one ``…``)."""
    text = name if isinstance(name, str) else repr(name)
    return text if len(text) <= NAME_CHARS else text[:NAME_CHARS - 1] + '…'


class SocketIOError(Exception):
    """An error reported to the client instead of a result."""

    name = 'error'

    def __init__(self, message, name=None, **details):
        super().__init__(message)
        self.message = message
        if name is not None:
            self.name = name
        self.details = details

    def payload(self):
        """The JSON-serialisable body of the ``error`` event."""
        return {'name': self.name, 'message': self.message, **self.details}


class NoSuchMethod(SocketIOError):
    name = 'no_such_method'


class MethodAccessDenied(SocketIOError):
    name = 'method_access_denied'


class InvalidMethodArgs(SocketIOError):
    name = 'invalid_method_args'


class SubscriptionRejected(SocketIOError):
    name = 'subscription_rejected'


class InternalError(SocketIOError):
    name = 'internal_error'
