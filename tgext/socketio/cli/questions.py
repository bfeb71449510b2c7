"""Command line questions to the servers on the bus: ``presence``, ``channels``, ``disconnect``.

``python -m tgext.socketio presence (-c FILE.ini | --backend URL) [--namespace /chat] CHANNEL``
prints ``{"clients": N, "users": M, "members": [...], "servers": S}``;
``python -m tgext.socketio channels (-c FILE.ini | --backend URL)`` prints the live
channels with their subscriber counts;
``python -m tgext.socketio disconnect (-c FILE.ini | --backend URL) --user USERID
[--namespace /chat]`` disconnects every connection of a user and prints
``{"disconnected": N, "servers": S}``. All ask every server over the bus and
collect the answers for ``--window`` seconds (see :func:`tgext.socketio.pubsub.ask.ask_cluster`).
"""
import json
import sys

from ..cluster import operations
from ..pubsub import presence
from ..pubsub.ask import ask_cluster, count_servers
from ..pubsub.backends import PublishError
from .options import add_backend_options, backend_from_args, bus_channel_from_args

#: The command -> the question it asks.
QUESTIONS = {'presence': presence.PRESENCE, 'channels': operations.CHANNELS,
             'disconnect': operations.DISCONNECT}
COMMANDS = tuple(QUESTIONS)


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
    params = {name: getattr(args, name) for name in ('namespace', 'channel', 'user')
              if getattr(args, name, None) is not None}
    try:
        question = QUESTIONS[args.command]
        answers = ask_cluster(backend, question, bus_channel_from_args(args, ini),
                              args.window, **params)
    except (PublishError, TimeoutError, ValueError) as exc:
        print('%s failed: %s' % (args.command, exc), file=sys.stderr)
        return 1
    print(json.dumps(dict(question.merge(answers), **count_servers(answers)),
                     sort_keys=True))
    return 0
