"""Checking that gevent monkey-patched the process in time.

Only serving needs it: importing and configuring an app (``gearbox
setup-app``, ``tgshell``, the app's tests) works in any process.
"""
import threading

import gevent.local
import gevent.monkey

FIX = (
    'tgext.socketio needs gevent.monkey.patch_all() to run before TurboGears, '
    'tw2, redis or kombu are imported. Serve with `gearbox serve` and '
    '`use = egg:tgext.socketio#gevent`, with gunicorn and '
    '`-k geventwebsocket.gunicorn.workers.GeventWebSocketWorker`, or make '
    '`from gevent import monkey; monkey.patch_all()` the first lines of your '
    'start-up script.'
)


class NotMonkeyPatched(RuntimeError):
    """The process was not monkey-patched by gevent before start-up."""


def is_monkey_patched():
    """True if gevent patched sockets and threads before TurboGears was imported."""
    from tg import request_local
    # TurboGears made its request-local storage when it was imported.
    tg_storage = request_local.context.__dict__['____local__']
    return (gevent.monkey.is_module_patched('socket')
            and threading.local is gevent.local.local
            and isinstance(tg_storage, gevent.local.local))


def require_monkey_patching():
    """Raise :class:`NotMonkeyPatched` with the fix unless patched in time."""
    if not is_monkey_patched():
        raise NotMonkeyPatched(FIX)
