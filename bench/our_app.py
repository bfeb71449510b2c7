"""tgext.socketio under benchmark: the examples' chat and pingpong namespaces in one app,
plus a page of 10 RactiveWidgets and the same markup as a plain Genshi page, and the chat's
channels as Server-Sent Events at ``/events/``.

python bench/our_app.py --port N [--backend URL] [--history RULES] [--presence PATTERNS]

``--history``: ``socketio.history`` (default ``*:100:300``); ``*:0:0`` keeps no history but still
gives positions (the baseline of the history rows of ``make bench``).
``--presence``: the chat's presence channels, space-separated glob patterns (default none:
the fan-out rooms are ordinary channels); ``room-*`` (the chat example's) makes the rooms the
fan-out scenarios subscribe to presence channels (the presence rows of ``make bench``).
``--turbogears-pass``: ``full`` (default), or a handshake with less of TurboGears, measured by
``make bench-handshake`` (see ``bench/turbogears_pass.py``).
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import functools  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import tw2.core as twc  # noqa: E402
from tg import TGController, expose  # noqa: E402

from axf_ractive import RactiveWidget  # noqa: E402
from bench import turbogears_pass  # noqa: E402
from examples.chat.app import Chat  # noqa: E402
from examples.configuration import configurator, run  # noqa: E402
from examples.pingpong.app import PingPong  # noqa: E402
from tgext.socketio import SocketIOController  # noqa: E402
from tgext.socketio.sse import EventStreamController  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ITEMS = [{'name': 'item %d' % n, 'price': n * 3} for n in range(10)]


class Listing(RactiveWidget):
    ractive_params = ['title', 'items']
    title = twc.Param(default='')
    items = twc.Param(default=[])
    ractive_template = ('<h2>{{title}}</h2><ul>{{#items:i}}<li>{{name}}: {{price}}</li>'
                        '{{/items}}</ul>')


class SocketIO(SocketIOController):
    chat = Chat
    pingpong = PingPong


class RootController(TGController):
    socketio = SocketIO()
    events = EventStreamController('/chat', max_streams_per_address=None)  # all from loopback

    @expose('page.html')
    def widgets(self):
        return dict(widgets=[Listing.req(id='w%d' % n, title='Listing %d' % n, items=ITEMS)
                             for n in range(10)], listings=[])

    @expose('page.html')
    def plain(self):
        return dict(widgets=[], listings=[('Listing %d' % n, ITEMS) for n in range(10)])


def make_app(global_conf=None, **app_conf):
    # Every benchmark client comes from 127.0.0.1: thousands of sessions from one address.
    app_conf.setdefault('socketio.max_sessions_per_address', 0)
    return configurator(RootController(), os.path.join(HERE, 'templates'), app_conf)


if __name__ == '__main__':
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--history')
    parser.add_argument('--presence')
    parser.add_argument('--turbogears-pass', choices=sorted(turbogears_pass.VARIANTS),
                        default='full')
    args, sys.argv[1:] = parser.parse_known_args()  # the rest is examples' --host/--port/...
    turbogears_pass.VARIANTS[args.turbogears_pass]()
    SocketIO.chat = type('Chat', (Chat,), {'presence_channels': (args.presence or '').split()})
    run(functools.partial(make_app, **({'socketio.history': args.history}
                                       if args.history is not None else {})))
