"""Command line: ``python -m tgext.socketio publish (-c development.ini | --backend URL)
[--namespace /chat] [--event NAME] CHANNEL JSON`` publishes JSON data to a channel and prints
``{"position": {"epoch": "...", "offset": N}}``, as the HTTP API's ``publish`` answers."""
import json
import sys

from ..pubsub.backends import PublishError
from ..pubsub.publishing import parse_json, publish
from .options import add_backend_options, backend_from_args, bus_channel_from_args

COMMANDS = ('publish',)


def add_commands(commands):
    command = commands.add_parser('publish', help='publish JSON data to a channel')
    add_backend_options(command, config_help="the app's .ini file: its socketio.backend, "
                        'socketio.channel and socketio.publication_event are used')
    command.add_argument('--namespace', default='/', help='namespace of the subscribers')
    command.add_argument('--event', help='event name clients receive (default: publication)')
    command.add_argument('channel')
    command.add_argument('data', help='JSON data, e.g. \'{"message": "hi"}\'')


def run(args, parser):
    backend, ini = backend_from_args(args, parser)
    try:
        data = parse_json(args.data)
    except ValueError as exc:
        parser.error('data is not JSON: %s' % exc)
    try:
        position = publish(args.channel, data, namespace=args.namespace, backend=backend,
                           event=args.event or ini.get('socketio.publication_event',
                                                       'publication'),
                           bus_channel=bus_channel_from_args(args, ini), immediate=True)
    except (PublishError, ValueError) as exc:
        print('publish failed: %s' % exc, file=sys.stderr)
        return 1
    print(json.dumps({'position': position}))
    return 0
