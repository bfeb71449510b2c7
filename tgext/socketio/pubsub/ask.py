"""Asking every server of the cluster a question on the bus, from any process.

The command line and scripts (``presence(..., backend=URL)``) ask this way;
each server answers with its own part (see :mod:`tgext.socketio.cluster.operations`),
and the asker merges the parts. Runs in plain threads: no gevent needed.
"""
import itertools
import logging
import threading
import time
import uuid

import socketio

from . import backends
from . import bus as busmodule

log = logging.getLogger(__name__)


def ask_cluster(backend, what, bus_channel='tgext.socketio', window=1.0, timeout=10.0,
                **params):
    """The answers of every server on the bus at ``backend`` to ``what``, one per server.

    ``params`` travel with the question. The question is repeated until this
    listener hears it back (so it is subscribed), then answers are collected
    for ``window`` seconds. Raises :class:`TimeoutError` if the question is not
    heard back within ``timeout`` seconds, :class:`ValueError` on a backend with
    no bus (``memory://``).
    """
    manager = backends.client_manager(backend, channel=bus_channel)
    if not isinstance(manager, socketio.PubSubManager):
        raise ValueError('%s has no bus to ask: ask the server process itself'
                         % backends.redacted(backend))
    query_id = uuid.uuid4().hex
    answers = {}
    heard_own = threading.Event()
    decoder = busmodule.Bus.__new__(busmodule.Bus)
    decoder.manager = manager

    def listen():
        try:
            for raw in manager._listen():
                message = decoder.decode(raw)
                if not message or message.get('query_id') != query_id:
                    continue
                if message.get('kind') == 'query':
                    heard_own.set()
                elif message.get('kind') == 'answer':
                    answers[message.get('host_id')] = message
        except Exception as exc:  # noqa: BLE001 - reported by the timeout below
            log.warning('Listening to the bus failed: %s', exc)

    threading.Thread(target=listen, daemon=True).start()
    question = dict(params, method=busmodule.METHOD, kind='query', host_id='cli-' + query_id,
                    query_id=query_id, what=what)
    deadline = time.monotonic() + timeout
    for attempt in itertools.count():
        manager._publish(question)
        if heard_own.wait(0.2 if attempt < 10 else 1.0):
            break
        if time.monotonic() > deadline:
            raise TimeoutError('no answer from the bus at %s' % backends.redacted(backend))
    time.sleep(window)
    return list(dict(answers).values())


def count_servers(answers):
    """``{'servers', 'processes'}`` that answered (a server per endpoint and process)."""
    return {'servers': len(answers),
            'processes': len({(answer.get('hostname'), answer.get('pid')) for answer in answers})}
