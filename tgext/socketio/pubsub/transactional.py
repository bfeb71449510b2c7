"""Publications made inside a transaction leave when it commits, and never if it aborts.

"Inside a transaction" means a ``transaction`` package transaction is open in
the calling greenlet: a TurboGears request under the transaction manager
(``tm.enabled``), a socket handler's unit of work, a script between
``transaction.begin()`` (or ``with transaction.manager:``) and its commit, or
a script whose ``DBSession`` (zope.sqlalchemy) has joined the implicit one.
The sends of one transaction go in call order, after it has committed.
"""
import logging

import transaction
from transaction._transaction import Status

log = logging.getLogger(__name__)

_PENDING = 'tgext.socketio.pending'  # key of a transaction's pending publications


class PendingPublication:
    """What ``publish()`` returns inside a transaction: a publication not sent yet.

    ``state`` is ``'pending'`` until the transaction ends, then ``'sent'``
    (``position`` is the publication's position), ``'aborted'`` (nothing was
    sent) or ``'failed'`` (``error`` is why; the backend was down).
    """

    __slots__ = ('channel', 'state', 'position', 'error', '_send')

    def __init__(self, channel, send):
        self.channel = channel
        self.state = 'pending'
        self.position = None
        self.error = None
        self._send = send

    def __repr__(self):
        return '<PendingPublication to %r: %s>' % (self.channel, self.state)


def open_transaction():
    """The transaction open in this greenlet that has not begun to commit, or None."""
    manager = getattr(transaction.manager, 'manager', transaction.manager)
    txn = getattr(manager, '_txn', None)  # get() would open one; this only looks
    if txn is None or txn.status != Status.ACTIVE:
        return None
    return txn


def send_after_commit(channel, send, immediate=False):
    """``send()`` now (its result returned), or when the open transaction commits.

    Inside a transaction, returns a :class:`PendingPublication`; ``immediate``
    sends at once even there.
    """
    txn = None if immediate else open_transaction()
    if txn is None:
        return send()
    try:
        pending = txn.data(_PENDING)
    except KeyError:
        pending = []
        txn.set_data(_PENDING, pending)
        txn.addAfterCommitHook(_send_all, (pending,))
        txn.addAfterAbortHook(_drop_all, (pending,))
    publication = PendingPublication(channel, send)
    pending.append(publication)
    return publication


def _send_all(committed, pending):
    if not committed:
        return _drop_all(pending)
    for publication in pending:
        try:
            publication.position = publication._send()
            publication.state = 'sent'
        except Exception as error:  # a hook must not raise: the commit is done
            publication.state, publication.error = 'failed', error
            log.error('Publication to %r committed but not sent: %s', publication.channel, error)
        publication._send = None


def _drop_all(pending):
    for publication in pending:
        publication.state, publication._send = 'aborted', None

