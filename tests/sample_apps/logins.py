"""What the test apps share: real repoze.who logins, the app itself, and serving it.

Users log in through TurboGears' own form handler (``/login_handler``) and carry
an ``auth_tkt`` cookie, as in any TurboGears app.
"""
import argparse

import tgext.tw2
from tg import MinimalApplicationConfigurator
from tg.configuration.auth import TGAuthMetadata
from tg.configurator.components.auth import SimpleAuthenticationConfigurationComponent

import tgext.socketio


class Logins(TGAuthMetadata):
    """The users ``{login: (password, [permission, ...])}``."""

    def __init__(self, users):
        self.users = users

    def authenticate(self, environ, identity):
        password, _ = self.users.get(identity.get('login'), (None, None))
        if password is not None and password == identity.get('password'):
            return identity['login']
        return None

    def get_user(self, identity, userid):
        return userid

    def get_groups(self, identity, userid):
        return []

    def get_permissions(self, identity, userid):
        return list(self.users.get(userid, (None, []))[1])


def make_app(root, users, app_conf, widgets=False):
    """A TurboGears app of ``root`` with ``users``' logins and tgext.socketio plugged in;
    ``widgets``: with ToscaWidgets2 (and Genshi, the engine it needs)."""
    config = MinimalApplicationConfigurator()
    config.register(SimpleAuthenticationConfigurationComponent)
    config.update_blueprint({
        'root_controller': root,
        'renderers': ['json', 'genshi'] if widgets else ['json'],
        'default_renderer': 'json',
        'debug': False,
        'tw2.enabled': widgets,
        'sa_auth.enabled': True,
        'sa_auth.cookie_secret': 'test-secret',
        'sa_auth.authmetadata': Logins(users),
        'sa_auth.post_login_url': '/',
        'sa_auth.post_logout_url': '/',
    })
    if widgets:
        tgext.tw2.plugme(config)
    tgext.socketio.plugme(config)
    return config.make_wsgi_app({}, dict(app_conf))


def serve(make_app, **settings):
    """``python -m tests.sample_apps.NAME --port N [--backend URL]``: serve
    ``make_app(**settings)``."""
    from tgext.socketio import serving
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--backend', default='memory://')
    args = parser.parse_args()
    serving.serve(make_app(**dict(settings, **{'socketio.backend': args.backend})),
                  '127.0.0.1', args.port)
