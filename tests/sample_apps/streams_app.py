"""A TurboGears app whose channels are read over Server-Sent Events as well as Socket.IO.

``/events/...`` streams ``/news`` (``EventStreamController``), ``/api/...`` is the HTTP
API (key :data:`API_KEY`); ``/page?room=N`` is a page
whose ``EventSource`` lists what arrives; ``/announce`` publishes; users ``alice`` and
``bob`` (password: their name) log in through ``/login_handler``. ``HISTORY`` sets
``socketio.history``. Run as a server:
``python -m tests.sample_apps.streams_app --port N [--backend URL]``.
"""
if __name__ == '__main__':
    from gevent import monkey
    monkey.patch_all()

import os  # noqa: E402

from tg import TGController, expose  # noqa: E402
from tg.predicates import not_anonymous  # noqa: E402
from tg import require  # noqa: E402

from tests.sample_apps import logins  # noqa: E402
from tgext.socketio import PubSubNamespace, SocketIOController, publish  # noqa: E402
from tgext.socketio.http_api import HTTPAPIController  # noqa: E402
from tgext.socketio.sse import EventStreamController  # noqa: E402

#: The HTTP API's key in this app.
API_KEY = 'test-api-key'

USERS = {'alice': ('alice', []), 'bob': ('bob', [])}


class News(PubSubNamespace):
    presence_channels = ['lobby-*']

    def subscribe_lobby(self, number):
        return 'lobby-%s' % number

    def subscribe_room(self, number):
        return False if number == 'secret' else 'room-%s' % number

    def on_say(self, channel, n):
        self.publish(channel, {'n': n})

    @require(not_anonymous(msg='log in to read your own feed'))
    def subscribe_mine(self):
        return 'user-%s' % self.request.identity['repoze.who.userid']


class SocketIO(SocketIOController):
    news = News


PAGE = """<!DOCTYPE html><html><head><title>events</title><link rel="icon" href="data:,">
</head><body><ol id="got"></ol><p id="state">connecting</p><script>
var source = new EventSource('/events/room/%s');
source.addEventListener('publication', function (event) {
  var item = document.createElement('li');
  item.textContent = JSON.parse(event.data).n;
  document.getElementById('got').appendChild(item);
});
source.addEventListener('subscribed', function (event) {
  document.getElementById('state').textContent = JSON.parse(event.data).recovered
    ? 'recovered' : 'not recovered';
});
source.onerror = function () { document.getElementById('state').textContent = 'cut'; };
</script></body></html>"""


class RootController(TGController):
    socketio = SocketIO()
    api = HTTPAPIController()
    events = EventStreamController('/news', keepalive=1.0, max_queued=20,
                                   max_streams_per_address=30)

    @expose(content_type='text/html')
    def page(self, room='1'):
        return PAGE % int(room)

    @expose('json')
    def announce(self, channel, n, pad='0'):
        data = dict({'n': int(n)}, **({'pad': 'x' * int(pad)} if int(pad) else {}))
        return {'position': publish(channel, data, namespace='/news')}

    @expose()
    def index(self):
        return 'streams app'


def make_app(global_conf=None, **app_conf):
    if os.environ.get('HISTORY'):
        app_conf['socketio.history'] = os.environ['HISTORY']
    app_conf.setdefault('socketio.api_keys', API_KEY)
    return logins.make_app(RootController(), USERS, app_conf)


if __name__ == '__main__':
    logins.serve(make_app)
