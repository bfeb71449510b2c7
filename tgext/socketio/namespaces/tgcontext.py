"""Running code inside the TurboGears request context of a handshake.

The handshake request goes through the whole TurboGears pipeline once; its
request locals (``tg.request`` with ``identity``, ``tg.response``,
``tg.tmpl_context``, ...) are kept with the connection and pushed around each
event, so handlers and TurboGears helpers see the client's own request.
``tg.config`` is not pushed: outside a request it is the process-wide
configuration, the app's own (pushing it too doubled the cost per event).
"""
from tg import request_local


def current_locals():
    """The request locals of the TurboGears request being served."""
    return request_local.context._current_obj()


class pushed:  # noqa: N801 (used as a function: ``with pushed(tg_locals):``)
    """Make ``tg_locals`` the current TurboGears context for this greenlet, within a block.

    A class rather than a generator: it is entered around every event.
    """

    __slots__ = ('tg_locals',)

    def __init__(self, tg_locals):
        self.tg_locals = tg_locals

    def __enter__(self):
        request_local.context._push_object(self.tg_locals)
        return self.tg_locals

    def __exit__(self, *exc_info):
        request_local.context._pop_object(self.tg_locals)
