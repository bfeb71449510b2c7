"""A unit of work per socket event, as TurboGears runs an action.

With ``socketio.transaction = auto`` (the default), each handler call
(``on_connect``, ``on_disconnect``, ``on_EVENT``, subscribe hooks) runs in the
app's own transaction handling: inside a ``transaction`` manager transaction
when the app enables it (``tm.enabled``, as a quickstarted app does), committed
when the handler succeeds and aborted when it fails (the client gets the usual
error event); the app's SQLAlchemy ``DBSession`` (or Ming session) is then
released, so no connection stays checked out of the pool between events.
``socketio.transaction = false`` leaves all of that to the handlers.
"""
import contextlib


class UnitOfWork:
    """The transaction and session handling of one app, as a context manager factory."""

    def __init__(self, conf):
        enabled = conf.get('socketio.transaction', 'auto') not in (False, 'false')
        self.transactions = None
        if enabled and str(conf.get('tm.enabled', False)).lower() in ('true', '1', 'yes', 'on'):
            import transaction
            self.transactions = transaction.manager
        self.sessions = []
        if enabled and conf.get('use_sqlalchemy') and conf.get('DBSession') is not None:
            self.sessions.append(conf.get('SQLASession') or conf['DBSession'])
        self._ming = enabled and bool(conf.get('use_ming')) and conf.get('DBSession') is not None
        if self._ming:
            self.sessions.append(conf['DBSession'])

    def __call__(self):
        """Run the block as one unit: commit if it returns, abort if it raises."""
        if self.transactions is None and not self.sessions:
            return _NOTHING_TO_DO  # entered around every event: no generator for nothing
        return self._unit()

    @contextlib.contextmanager
    def _unit(self):
        try:
            if self.transactions is None:
                yield
                if self._ming:
                    self.sessions[-1].flush_all()
                return
            self.transactions.begin()
            try:
                yield
            except BaseException:
                self.transactions.abort()
                raise
            if self.transactions.isDoomed():
                self.transactions.abort()
            else:
                self.transactions.commit()
        finally:
            for session in self.sessions:
                _release(session)


_NOTHING_TO_DO = contextlib.nullcontext()


def _release(session):
    """Give the session's connection back (SQLAlchemy ``remove``, Ming ``close_all``)."""
    if hasattr(session, 'remove'):
        session.remove()
    else:
        session.close_all()
