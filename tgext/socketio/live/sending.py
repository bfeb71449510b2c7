"""Sending a transaction's live publications: checked before its commit, sent after.

Before the commit, the publishing target of each namespace is resolved, so a
process that cannot publish (``memory://`` with no client served) fails the
commit with a clear :class:`~tgext.socketio.PublishError` instead of
committing changes that reach nobody. After the commit they are sent at once
(the commit is done: there is no transaction left to wait for). A send that
fails is logged; it is lost unless the outbox (:mod:`.outbox`) keeps it: then
they are also written in the transaction, and deleted once sent.
"""
import logging

from ..namespaces.runtime import current
from ..pubsub import publishing
from . import outbox

log = logging.getLogger(__name__)

#: Where a process with no app publishes: set by :func:`tgext.socketio.live.configure`.
BACKEND = {'backend': None, 'bus_channel': None}

#: Counts of this process: publications sent, and those that failed after their commit.
COUNTS = {'sent': 0, 'failed': 0}


def prepare(session, publications):
    """``[(target, namespace, channel, data)]`` for the commit of ``session``."""
    targets = {}
    for namespace, _, _ in publications:
        if namespace not in targets:
            targets[namespace] = _target(namespace)
    return outbox.keep(session, [(targets[namespace], namespace, channel, data)
                                 for namespace, channel, data in publications])


def send(prepared):
    """Send what :func:`prepare` returned, now that the transaction has committed."""
    published = []
    for target, namespace, channel, data in prepared:
        try:
            publishing.publish_to(target, channel, data, namespace, immediate=True)
            COUNTS['sent'] += 1
            published.append(data)
        except Exception as error:  # the commit is done: report, and go on with the others
            COUNTS['failed'] += 1
            log.error('Live changes committed but not published to %r: %s', channel, error)
    outbox.sent(prepared, published)


def _target(namespace):
    if current() is None and BACKEND['backend']:
        return publishing.target_for(namespace, BACKEND['backend'], BACKEND['bus_channel'])
    return publishing.target_for(namespace)
