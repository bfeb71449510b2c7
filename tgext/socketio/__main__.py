"""Command line: ``python -m tgext.socketio publish (-c development.ini | --backend URL)
[--namespace /chat] CHANNEL JSON``; ``presence`` and ``channels`` (see :mod:`.ask`)."""
import argparse
import sys

from . import ask
from .backends import PublishError
from .inifile import backend_from_args
from .publishing import parse_json, publish


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m tgext.socketio')
    commands = parser.add_subparsers(dest='command', required=True)
    publishing = commands.add_parser('publish', help='publish JSON data to a channel')
    publishing.add_argument('-c', '--config', help="the app's .ini file: its socketio.backend, "
                            'socketio.channel and socketio.publication_event are used')
    publishing.add_argument('--backend',
                            help='backend URL shared with the servers (redis://, amqp://, mongodb://)')
    publishing.add_argument('--namespace', default='/', help='namespace of the subscribers')
    publishing.add_argument('--event', help='event name clients receive (default: publication)')
    publishing.add_argument('--channel-name', dest='bus_channel',
                            help='socketio.channel of the servers (default: tgext.socketio)')
    publishing.add_argument('channel')
    publishing.add_argument('data', help='JSON data, e.g. \'{"message": "hi"}\'')
    ask.add_commands(commands)  # presence, channels (ask.py)
    args = parser.parse_args(argv)
    if args.command in ask.COMMANDS:
        return ask.run(args, parser)
    backend, ini = backend_from_args(args, parser)
    try:
        data = parse_json(args.data)
    except ValueError as exc:
        parser.error('data is not JSON: %s' % exc)
    try:
        publish(args.channel, data, namespace=args.namespace, backend=backend,
                event=args.event or ini.get('socketio.publication_event', 'publication'),
                bus_channel=args.bus_channel or ini.get('socketio.channel', 'tgext.socketio'))
    except (PublishError, ValueError) as exc:
        print('publish failed: %s' % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
