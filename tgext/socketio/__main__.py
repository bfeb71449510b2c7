"""Command line: ``python -m tgext.socketio publish --backend URL [--namespace /chat] CHANNEL JSON``."""
import argparse
import json
import sys

from .backends import PublishError
from .publishing import publish


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m tgext.socketio')
    commands = parser.add_subparsers(dest='command', required=True)
    publishing = commands.add_parser('publish', help='publish JSON data to a channel')
    publishing.add_argument('--backend', required=True,
                            help='backend URL shared with the servers (redis://, amqp://, mongodb://)')
    publishing.add_argument('--namespace', default='/', help='namespace of the subscribers')
    publishing.add_argument('--event', default='publication', help='event name clients receive')
    publishing.add_argument('--channel-name', default='tgext.socketio', dest='bus_channel',
                            help='socketio.channel of the servers')
    publishing.add_argument('channel')
    publishing.add_argument('data', help='JSON data, e.g. \'{"message": "hi"}\'')
    args = parser.parse_args(argv)
    try:
        data = json.loads(args.data, parse_constant=_refuse_constant)
    except ValueError as exc:
        parser.error('data is not JSON: %s' % exc)
    try:
        publish(args.channel, data, namespace=args.namespace, backend=args.backend,
                event=args.event, bus_channel=args.bus_channel)
    except (PublishError, ValueError) as exc:
        print('publish failed: %s' % exc, file=sys.stderr)
        return 1
    return 0


def _refuse_constant(name):
    raise ValueError('%s is not JSON (browsers cannot parse it)' % name)


if __name__ == '__main__':
    sys.exit(main())
