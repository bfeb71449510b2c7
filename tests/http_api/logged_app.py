"""The streams sample app with an API key and a signing secret, served with every log
record on its output (the root logger at DEBUG, gevent's access log too), to see what the
HTTP API logs: ``python -m tests.http_api.logged_app --port N [--backend URL]``."""
if __name__ == '__main__':
    from gevent import monkey
    monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402

#: The key and the secret of this app (long and distinct: found in a log, they are not chance).
API_KEY = 'k3y-of-the-billing-service-5a1dc07e'
API_SECRET = 's3cret-shared-with-the-billing-service-9f2e41b8'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--backend', default='memory://')
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG,
                        format='%(asctime)s %(levelname)s %(name)s %(message)s')
    from tests.sample_apps import streams_app
    from tgext.socketio import serving
    app = streams_app.make_app(**{'socketio.api_keys': API_KEY, 'socketio.api_secret': API_SECRET,
                                  'socketio.backend': args.backend})
    serving.serve(app, '127.0.0.1', args.port, access_log=True)


if __name__ == '__main__':
    main()
