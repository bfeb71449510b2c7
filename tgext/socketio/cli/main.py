"""Command line: ``python -m tgext.socketio publish (-c development.ini | --backend URL)
[--namespace /chat] CHANNEL JSON``; ``presence``, ``channels`` and ``disconnect``
(see :mod:`.questions`); ``history`` (see :mod:`.history`)."""
import argparse
import sys

from ..pubsub.backends import PublishError
from ..pubsub.publishing import parse_json, publish
from . import history, questions
from .options import add_backend_options, backend_from_args, bus_channel_from_args

COMMAND_MODULES = (questions, history)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m tgext.socketio')
    commands = parser.add_subparsers(dest='command', required=True)
    publishing = commands.add_parser('publish', help='publish JSON data to a channel')
    add_backend_options(publishing, config_help="the app's .ini file: its socketio.backend, "
                        'socketio.channel and socketio.publication_event are used')
    publishing.add_argument('--namespace', default='/', help='namespace of the subscribers')
    publishing.add_argument('--event', help='event name clients receive (default: publication)')
    publishing.add_argument('channel')
    publishing.add_argument('data', help='JSON data, e.g. \'{"message": "hi"}\'')
    for module in COMMAND_MODULES:
        module.add_commands(commands)
    args = parser.parse_args(argv)
    for module in COMMAND_MODULES:
        if args.command in module.COMMANDS:
            return module.run(args, parser)
    backend, ini = backend_from_args(args, parser)
    try:
        data = parse_json(args.data)
    except ValueError as exc:
        parser.error('data is not JSON: %s' % exc)
    try:
        publish(args.channel, data, namespace=args.namespace, backend=backend,
                event=args.event or ini.get('socketio.publication_event', 'publication'),
                bus_channel=bus_channel_from_args(args, ini))
    except (PublishError, ValueError) as exc:
        print('publish failed: %s' % exc, file=sys.stderr)
        return 1
    return 0
