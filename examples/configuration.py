"""What the example apps share: a TurboGears configurator and a command line."""
import argparse
import os

import tgext.tw2
import tw2.core as twc
from tg import MinimalApplicationConfigurator
from tg.configurator.components.statics import StaticsConfigurationComponent

import tgext.socketio
from tgext.socketio.console.theme import theme_css

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'static')

#: The examples' look: the console's stylesheet, then theirs (``static/demo.css``). Widgets
#: list them in their resources: tw2 puts them in the page's head, in this order.
STYLES = [theme_css, twc.CSSLink(link='/demo.css')]


def configurator(root, templates, app_conf):
    """A Genshi + ToscaWidgets2 + Socket.IO app for controller ``root``."""
    config = MinimalApplicationConfigurator()
    config.register(StaticsConfigurationComponent)
    config.update_blueprint({
        'root_controller': root,
        'renderers': ['genshi'],
        'default_renderer': 'genshi',
        'paths': {'templates': [templates], 'static_files': STATIC},
        'serve_static': True,
        'tw2.enabled': True,
        'debug': False,
        'auto_reload_templates': False,  # tw2 re-parses its templates on every page otherwise
        'templating.genshi.doctype': 'html5',
    })
    tgext.tw2.plugme(config)
    tgext.socketio.plugme(config)
    return config.make_wsgi_app({}, dict(app_conf))


def run(make_app, **defaults):
    """Parse ``--host/--port/--backend`` and serve the app made by ``make_app``."""
    from tgext.socketio import serving
    parser = argparse.ArgumentParser()
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8080)
    parser.add_argument('--backend', default=defaults.get('backend', 'memory://'),
                        help='pub/sub backend URL: memory://, redis://, amqp://, mongodb://')
    args = parser.parse_args()
    app = make_app(**{'socketio.backend': args.backend})
    print('Serving on http://%s:%s/' % (args.host, args.port), flush=True)
    serving.serve(app, args.host, args.port)
