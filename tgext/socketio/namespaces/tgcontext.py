"""Running code inside the TurboGears request context of a handshake.

The handshake request goes through the whole TurboGears pipeline once; its
request locals (``tg.request`` with ``identity``, ``tg.response``,
``tg.tmpl_context``, ...) are kept with the connection and pushed around each
event, so handlers and TurboGears helpers see the client's own request.
``tg.config`` is not pushed: outside a request it is the process-wide
configuration, the app's own (pushing it too doubled the cost per event).
"""
import contextlib

from tg import request_local


def current_locals():
    """The request locals of the TurboGears request being served."""
    return request_local.context._current_obj()


@contextlib.contextmanager
def pushed(tg_locals):
    """Make ``tg_locals`` the current TurboGears context for this greenlet."""
    request_local.context._push_object(tg_locals)
    try:
        yield tg_locals
    finally:
        request_local.context._pop_object(tg_locals)
