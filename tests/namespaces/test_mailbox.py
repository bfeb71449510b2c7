"""The per-connection mailbox: order, isolation of failures, lingering worker."""
import gevent

from tgext.socketio.namespaces.mailbox import Mailbox


def test_jobs_run_in_order_and_a_failing_job_does_not_stop_the_rest():
    done = []
    mailbox = Mailbox()
    mailbox.put(done.append, 1)
    mailbox.put(lambda: 1 / 0)
    mailbox.put(done.append, 2)
    gevent.sleep(0.01)
    assert done == [1, 2]


def test_the_worker_lingers_for_the_next_job_then_exits(monkeypatch):
    monkeypatch.setattr(Mailbox, 'linger', 0.05)
    mailbox = Mailbox()
    mailbox.put(lambda: None)
    gevent.sleep(0.01)
    worker = mailbox._worker
    assert worker is not None
    mailbox.put(lambda: None)
    gevent.sleep(0.01)
    assert mailbox._worker is worker  # reused, not respawned
    gevent.sleep(0.2)
    assert mailbox._worker is None and worker.dead


def test_close_drops_queued_jobs_and_frees_the_worker():
    done = []
    mailbox = Mailbox()
    mailbox.put(done.append, 1)
    mailbox.put(done.append, 2)
    mailbox.close()
    mailbox.put(done.append, 3)
    gevent.sleep(0.01)
    assert done == [] and mailbox._worker is None
