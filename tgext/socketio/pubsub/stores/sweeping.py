"""A store's periodic sweep, in a greenlet of its process, for as long as the store lives."""
import weakref

import gevent

#: Seconds between two sweeps of expired history.
EXPIRE_EVERY = 5.0


def sweep_every(seconds, store, sweep):
    """Call ``sweep(store)`` every ``seconds`` while ``store`` lives.

    Only a weak reference to ``store`` is kept, so ``sweep`` must not be one of its bound
    methods (pass ``type(store).expire``, not ``store.expire``). A sweep that raises is
    tried again at the next period.
    """
    store_ref = weakref.ref(store)

    def run():
        store = store_ref()
        if store is not None:
            try:
                sweep(store)
            finally:
                gevent.spawn_later(seconds, run)
    gevent.spawn_later(seconds, run)
