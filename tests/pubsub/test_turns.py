"""A publication's turn on its channel: positions reach the bus in their order, a stalled
backend refuses at once, and the per-channel locks leave nothing behind."""
import sys
import time

import gevent
import gevent.event
import pytest

from tgext.socketio import PublishError
from tgext.socketio.pubsub.publishing import _send, _Target
from tgext.socketio.pubsub.stores import HistoryPolicy, store_for


def _target(send):
    return _Target(store_for('memory://'), HistoryPolicy('*:100:300'), send, 'publication')


def test_concurrent_publications_of_a_channel_are_sent_in_the_order_of_their_positions():
    """Each send yields to the others (as a backend's write does): the positions given and the
    order of sending still agree, per channel."""
    sent = []

    def send(event, data, namespace, room):
        gevent.sleep(0.001)
        sent.append((data[1], data[2]['offset']))
    target = _target(send)
    publishers = [gevent.spawn(_send, target, 'room-%d' % (n % 3), n, '/', None)
                  for n in range(60)]
    gevent.joinall(publishers, raise_error=True)
    for channel in ('room-0', 'room-1', 'room-2'):
        offsets = [offset for name, offset in sent if name == channel]
        assert offsets == sorted(offsets) and len(offsets) == 20
    assert target._turns == {}


def test_a_burst_of_channels_leaves_no_lock_table_behind():
    """5,000 publications to as many channels at once: once they are sent, the table of
    locks is an empty dict of its smallest size, not the one the burst grew."""
    release = gevent.event.Event()
    target = _target(lambda *args, **kwargs: release.wait())
    publishers = [gevent.spawn(_send, target, 'channel-%d' % n, n, '/', None)
                  for n in range(5000)]
    try:
        deadline = time.monotonic() + 30
        while len(target._turns) < 5000 and time.monotonic() < deadline:
            gevent.sleep(0.05)
        assert len(target._turns) == 5000  # every one holds its channel's turn
    finally:
        release.set()
    gevent.joinall(publishers, raise_error=True)
    assert target._turns == {} and sys.getsizeof(target._turns) == sys.getsizeof({})


def test_a_stalled_backend_refuses_the_next_publication_and_keeps_no_lock_for_it():
    release = gevent.event.Event()
    target = _target(lambda *args, **kwargs: release.wait())
    target.stall_after = 0.2
    stuck = gevent.spawn(_send, target, 'room-1', 'first', '/', None)
    gevent.sleep(0.3)  # the backend has not answered for longer than stall_after
    with pytest.raises(PublishError, match='answered none'):
        _send(target, 'room-2', 'second', '/', None)
    assert list(target._turns) == ['room-1'] and target.failures == 1
    release.set()
    stuck.get(timeout=5)
    assert target._turns == {}
