"""Command line: a channel's kept publications, read from the backend's history store.

``python -m tgext.socketio history (-c FILE.ini | --backend URL) [--limit N] [--since POSITION]
CHANNEL`` prints ``{"channel", "recovered", "publications": [[data, position], ...]}``, oldest
first: what :func:`~tgext.socketio.pubsub.publishing.history_since` gives (and the
``history`` event acknowledges). ``--limit N`` alone gives the newest N (as the HTTP API's
``history`` does); with ``--since``, the first N after that position. No server is asked:
the store is read directly (:func:`tgext.socketio.pubsub.stores.store_for`), so only stores
shared through the backend can be read: Redis and MongoDB. ``amqp://`` keeps no history, and
``memory://`` keeps it inside each server process.

What is kept is bounded when written (``socketio.history``), and bounded again when read (by
age, as a store trims only when written to). With ``-c FILE.ini`` naming ``socketio.history``,
the publications are those the app itself would give; otherwise everything the store holds.
"""
import argparse
import json
import sys
from urllib.parse import urlsplit

from ..pubsub.publishing import history_through
from ..pubsub.stores import HistoryPolicy, store_for
from .options import add_backend_options, backend_from_args, bus_channel_from_args

COMMANDS = ('history',)


def add_commands(commands):
    command = commands.add_parser('history', help="a channel's kept publications and positions")
    add_backend_options(command, config_help="the app's .ini file (its socketio.backend, "
                        'socketio.channel and socketio.history)')
    command.add_argument('--limit', type=_positive,
                         help='at most this many publications: the newest, or with --since '
                         'the first ones after it')
    command.add_argument('--since', type=_since, metavar='POSITION',
                         help='only those after this position: an offset of the current epoch '
                         '(e.g. 40), or JSON {"epoch": "...", "offset": 40} or {"time": t}')
    command.add_argument('channel')


def run(args, parser):
    backend, ini = backend_from_args(args, parser)
    scheme = urlsplit(backend).scheme
    if scheme == 'memory':
        return _fail('memory:// keeps history inside each server process: a command line '
                     'cannot read it (share it with redis:// or mongodb://)')
    try:
        store = store_for(backend, bus_channel_from_args(args, ini))
        if not store.keeps_history:
            return _fail('%s:// keeps no history (its publications get positions only)' % scheme)
        since = args.since
        if since is not None and 'epoch' not in since and 'time' not in since:
            since = dict(since, epoch=store.top(args.channel)['epoch'])
        policy = HistoryPolicy(ini['socketio.history']) if 'socketio.history' in ini else _ALL
        publications, recovered = history_through(_Reader(store, policy), args.channel, since,
                                                  args.limit if since else None)
    except Exception as exc:  # noqa: BLE001 - the store's errors (Redis, MongoDB), told plainly
        return _fail('history failed: %s: %s' % (type(exc).__name__, exc))
    if since is None and args.limit:
        publications = publications[-args.limit:]  # the newest, still oldest first
    print(json.dumps({'channel': args.channel, 'recovered': recovered,
                      'publications': [[data, position] for data, position in publications]}))
    return 0


class _Everything:
    """The read bounds without a policy: whatever the store still holds."""

    @staticmethod
    def limits(channel):
        return sys.maxsize, 1e12


_ALL = _Everything()


class _Reader:
    """What :func:`~tgext.socketio.pubsub.publishing.history_through` reads through."""

    def __init__(self, history, policy):
        self.history = history
        self.policy = policy


def _positive(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError('%r is not a positive number' % text)
    return int(text)


def _since(text):
    if text.isdigit():
        return {'offset': int(text)}
    try:
        since = json.loads(text)
    except ValueError:
        since = None
    if not (isinstance(since, dict) and (isinstance(since.get('offset'), int)
                                         or isinstance(since.get('time'), (int, float)))):
        raise argparse.ArgumentTypeError(
            '%r is not an offset, {"epoch": "...", "offset": N} nor {"time": t}' % text)
    return since


def _fail(message):
    print(message, file=sys.stderr)
    return 1
