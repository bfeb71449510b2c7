"""Errors a client receives as an ``error`` event.

A handler may raise any of these (or :class:`SocketIOError` with a name of
its own); the dispatcher turns them into the event payload
``{"name": ..., "message": ..., **details}`` and, when the client asked for
an acknowledgement, acknowledges with ``{"error": payload}``.
"""


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
