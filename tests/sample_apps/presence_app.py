"""A TurboGears app with presence channels, health and metrics pages, the live console,
real repoze.who logins.

Users ``user0`` .. ``user19`` (password: their name) log in through ``/login_handler``;
``user0`` has the ``console`` permission. ``/room?number=N`` is a page whose widget shows
the publications of ``room-N``.
Run as a server: ``python -m tests.sample_apps.presence_app --port N [--backend URL]``;
``PRESENCE_HEARTBEAT``, ``PRESENCE_EXPIRY``, ``HEALTH_INTERVAL`` and
``HEALTH_STALE_AFTER`` (seconds) tune the timings; ``PRESENCE_WINDOW`` is
``socketio.presence_window``.
"""
if __name__ == '__main__':
    from gevent import monkey
    monkey.patch_all()

import os  # noqa: E402

import markupsafe  # noqa: E402
from tg import TGController, expose, response  # noqa: E402
from tg.predicates import has_permission  # noqa: E402

from axf_ractive import RactiveWidget, on_publication  # noqa: E402

from tests.sample_apps import logins  # noqa: E402
from tgext.socketio import (HealthController, MetricsController, PublishError,  # noqa: E402
                            PubSubNamespace, SocketIOController, presence, presence_stats,
                            publish)
from tgext.socketio.console import ConsoleController  # noqa: E402
from tgext.socketio.cluster.health import HealthProbe  # noqa: E402
from tgext.socketio.pubsub.presence import PresenceTracker  # noqa: E402

USERS = {'user%d' % number: ('user%d' % number, ['console'] if number == 0 else [])
         for number in range(20)}


class Chat(PubSubNamespace):
    presence_channels = ['room-*']

    def subscribe_room(self, number):
        return 'room-%s' % number

    def subscribe_plain(self):
        return 'plain'          # not a presence channel

    def on_post(self, channel, text):
        if channel in self.channels:
            self.publish(channel, {'text': text})
            return True
        return False


class SocketIO(SocketIOController):
    chat = Chat


class Room(RactiveWidget):
    namespace = '/chat'
    ractive_params = ['lines']
    ractive_template = '<ul class="lines">{{#lines}}<li>{{text}}</li>{{/lines}}</ul>'


PAGE = markupsafe.Markup('<!DOCTYPE html><html><head><title>room</title>'
                         '<link rel="icon" href="data:,"></head>'
                         '<body>{}</body></html>')


class RootController(TGController):
    socketio = SocketIO()
    health = HealthController()
    metrics = MetricsController()
    console = ConsoleController(has_permission('console'))

    @expose(content_type='text/html')
    def room(self, number='1'):
        return PAGE.format(Room.req(id='room', lines=[], bindings=[
            on_publication(('room', number), append='lines')]).display())

    @expose()
    def index(self):
        return 'presence app'

    @expose('json')
    def announce(self, channel, text, namespace='/chat'):
        try:
            publish(channel, {'text': text}, namespace=namespace)
        except PublishError as exc:
            response.status = 503
            return {'error': str(exc)}
        return {'published': channel}

    @expose('json')
    def who(self, channel, namespace='/chat'):
        return {'pid': os.getpid(), 'members': presence(channel, namespace=namespace),
                **presence_stats(channel, namespace=namespace)}


def make_app(global_conf=None, **app_conf):
    return logins.make_app(RootController(), USERS, app_conf, widgets=True)


if __name__ == '__main__':
    for cls, attribute, variable in [(PresenceTracker, 'heartbeat', 'PRESENCE_HEARTBEAT'),
                                     (PresenceTracker, 'expiry', 'PRESENCE_EXPIRY'),
                                     (HealthProbe, 'interval', 'HEALTH_INTERVAL'),
                                     (HealthProbe, 'stale_after', 'HEALTH_STALE_AFTER')]:
        if os.environ.get(variable):
            setattr(cls, attribute, float(os.environ[variable]))
    window = os.environ.get('PRESENCE_WINDOW')
    logins.serve(make_app, **({'socketio.presence_window': window} if window else {}))
