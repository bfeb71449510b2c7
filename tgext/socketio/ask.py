"""Command line questions to the servers on the bus: ``presence``, ``channels``, ``disconnect``.

``python -m tgext.socketio presence (-c FILE.ini | --backend URL) [--namespace /chat] CHANNEL``
prints ``{"clients": N, "users": M, "members": [...], "servers": S}``;
``python -m tgext.socketio channels (-c FILE.ini | --backend URL)`` prints the live
channels with their subscriber counts;
``python -m tgext.socketio disconnect (-c FILE.ini | --backend URL) --user USERID
[--namespace /chat]`` disconnects every connection of a user and prints
``{"disconnected": N, "servers": S}``. All ask every server over the bus and
collect the answers for ``--window`` seconds (see :func:`ask_cluster`).
"""
import itertools
import json
import logging
import threading
import time
import uuid

import socketio

from . import backends
from . import bus as busmodule
from .backends import PublishError
from .inifile import add_backend_options, backend_from_args, bus_channel_from_args

log = logging.getLogger(__name__)

COMMANDS = ('presence', 'channels', 'disconnect')


def add_commands(commands):
    for name, help_text in [('presence', 'who is subscribed to a presence channel, cluster-wide'),
                            ('channels', 'live channels and their subscriber counts'),
                            ('disconnect', "disconnect every connection of a user, cluster-wide")]:
        command = commands.add_parser(name, help=help_text)
        add_backend_options(command)
        command.add_argument('--window', type=float, default=1.0,
                             help='seconds to collect answers (default: 1)')
        if name == 'presence':
            command.add_argument('--namespace', default='/', help='namespace of the channel')
            command.add_argument('channel')
        if name == 'disconnect':
            command.add_argument('--user', required=True, help='the TurboGears user id')
            command.add_argument('--namespace', help='only in this namespace (default: all)')


def run(args, parser):
    backend, ini = backend_from_args(args, parser)
    bus_channel = bus_channel_from_args(args, ini)
    try:
        extra = {'user': args.user} if args.command == 'disconnect' else {}
        answer = ask_cluster(backend, args.command, getattr(args, 'namespace', None),
                             getattr(args, 'channel', None), bus_channel=bus_channel,
                             window=args.window, **extra)
    except (PublishError, TimeoutError, ValueError) as exc:
        print('%s failed: %s' % (args.command, exc), file=__import__('sys').stderr)
        return 1
    print(json.dumps(answer, sort_keys=True))
    return 0


def ask_cluster(backend, what, namespace=None, channel=None, bus_channel='tgext.socketio',
                window=1.0, timeout=10.0, **params):
    """Ask every server on the bus and merge the answers (:data:`MERGES`).

    ``what``: 'presence', 'channels' or 'disconnect' (``user=`` or ``sid=``), see
    :mod:`.operations`; ``params`` travel with the question.

    Runs in any process (plain threads, no gevent needed). The question is
    repeated until this listener hears it back (so it is subscribed), then
    answers are collected for ``window`` seconds.
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
                    query_id=query_id, what=what, namespace=namespace, channel=channel)
    deadline = time.monotonic() + timeout
    for attempt in itertools.count():
        manager._publish(question)
        if heard_own.wait(0.2 if attempt < 10 else 1.0):
            break
        if time.monotonic() > deadline:
            raise TimeoutError('no answer from the bus at %s' % backends.redacted(backend))
    time.sleep(window)
    answers = list(dict(answers).values())
    servers = {'servers': len(answers),  # python-socketio servers: one per endpoint and process
               'processes': len({(a.get('hostname'), a.get('pid')) for a in answers})}
    return dict(MERGES[what](answers), **servers)


def _merge_disconnect(answers):
    return {'disconnected': sum(answer.get('disconnected', 0) for answer in answers)}


def _merge_channels(answers):
    counts = {}
    for answer in answers:
        for namespace, channel, count in answer.get('channels', ()):
            counts[(namespace, channel)] = counts.get((namespace, channel), 0) + count
    return {'channels': [{'namespace': namespace, 'channel': channel, 'subscribers': count}
                         for (namespace, channel), count in sorted(counts.items())]}


def _merge_presence(answers):
    members, clients = {}, 0
    for answer in answers:
        for member_id, (info, count) in answer.get('table', {}).items():
            members.setdefault(member_id, info)
            clients += count
    return {'clients': clients, 'users': len(members),
            'members': [members[member_id] for member_id in sorted(members)]}


#: How the command line merges the servers' answers, per ``what``.
MERGES = {'disconnect': _merge_disconnect, 'channels': _merge_channels,
          'presence': _merge_presence}
