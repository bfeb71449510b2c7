"""Questions to every server of the cluster, on the bus: asked from a server or from any
process, answered by each server about itself.

A feature declares a :class:`Question` and has its servers answer it
(:func:`answer`, from its ``attach``): each server answers ``query`` messages of
its ``what`` with ``answer(server, message)``, and whoever asked merges the
answers with ``merge(answers)``. Presence asks who is in a channel
(:mod:`.presence`); the operators ask for an overview, the live channels and
disconnections (:mod:`tgext.socketio.cluster.operations`).

A question heard twice (askers repeat it until they hear it on the bus) gets
the first answer again, so a ``disconnect`` acts once. :func:`ask_servers` asks
from inside a server process (the console), :func:`ask_cluster` from any process
(the command line, ``presence(..., backend=URL)``), in plain threads.
"""
import collections
import itertools
import logging
import threading
import time
import uuid

import gevent
import socketio

from . import backends
from . import bus as busmodule

log = logging.getLogger(__name__)

#: Answers a server remembers, to give the same one to a question heard again.
REMEMBERED_ANSWERS = 100

_pending = {}  # query id -> {host id: answer} of the asks of this process


class Question:
    """A question every server answers about itself: ``answer(server, message)`` gives its
    part (a dict), ``merge(answers)`` one answer of all the parts (None: the asker merges
    them itself)."""

    def __init__(self, what, answer, merge=None):
        self.what = what
        self.answer = answer
        self.merge = merge


def answer(server, server_bus, *questions):
    """Have ``server`` answer ``questions`` when they are asked on its bus."""
    known = getattr(server, 'tgext_questions', None)
    if known is None:
        known = server.tgext_questions = {}
        _listen(server, server_bus, known)
    known.update((question.what, question) for question in questions)


def _listen(server, server_bus, known):
    answered = collections.OrderedDict()  # query id -> answer, the most recent ones

    def answer_query(message):
        question, query_id = known.get(message.get('what')), message.get('query_id')
        if question is None:
            return
        if query_id not in answered:
            answered[query_id] = question.answer(server, message)
            if len(answered) > REMEMBERED_ANSWERS:
                answered.popitem(last=False)
        server_bus.publish('answer', query_id=query_id, **answered[query_id])

    server_bus.on('query', answer_query)
    server_bus.on('answer', _collect)


def _collect(message):
    answers = _pending.get(message.get('query_id'))
    if answers is not None:
        answers[message.get('host_id')] = message


def ask_servers(servers, question, window=0.5, **params):
    """``{host id: answer}`` of every server of the cluster to ``question``, from a server.

    ``servers``: this process's servers. Those that share no bus (``memory://``)
    answer directly; the others are asked on the bus and their answers (this
    process's included) collected for ``window`` seconds.
    """
    answers, on_the_bus = {}, []
    for server in servers:
        server_bus = busmodule.of(server)
        if server_bus.distributed and server_bus.listening:
            on_the_bus.append(server_bus)
        else:
            answers[server_bus.host_id] = dict(question.answer(server, params),
                                               host_id=server_bus.host_id)
    if on_the_bus:
        query_id = uuid.uuid4().hex
        collected = _pending[query_id] = {}
        try:
            on_the_bus[0].publish('query', what=question.what, query_id=query_id, **params)
            gevent.sleep(window)
        finally:
            del _pending[query_id]
        answers.update(collected)
    return answers


def ask_cluster(backend, question, bus_channel='tgext.socketio', window=1.0, timeout=10.0,
                **params):
    """The answers of every server on the bus at ``backend`` to ``question``, one per
    server, from any process.

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

    def listen():
        try:
            for raw in manager._listen():
                message = busmodule.decode(manager, raw)
                if not message or message.get('query_id') != query_id:
                    continue
                if message.get('kind') == 'query':
                    heard_own.set()
                elif message.get('kind') == 'answer':
                    answers[message.get('host_id')] = message
        except Exception as exc:  # noqa: BLE001 - reported by the timeout below
            log.warning('Listening to the bus failed: %s', exc)

    threading.Thread(target=listen, daemon=True).start()
    query = dict(params, method=busmodule.METHOD, kind='query', host_id='cli-' + query_id,
                 query_id=query_id, what=question.what)
    deadline = time.monotonic() + timeout
    for attempt in itertools.count():
        manager._publish(query)
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
