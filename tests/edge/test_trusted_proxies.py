"""The chat example behind the documented nginx block, ``socketio.trusted_proxies =
127.0.0.1``: clients are counted by their own address, the console's loopback predicate
sees the client, and a forged ``X-Forwarded-For`` gains nothing.

Clients leave from addresses of the loopback network (127.x.y.z), so nginx sees many
machines; both servers of the block are the one app, which holds every session.
"""
import json
import os
import subprocess

import pytest
import requests

from tests.helpers import PYTHON, ROOT, Process, free_port, http_from
from tests.nginx import Nginx

CROWD = os.path.join(ROOT, 'tests', 'node', 'crowd.js')
SERVE_CHAT = '''
from gevent import monkey; monkey.patch_all()
import sys
from tgext.socketio import serving
chat = serving.load_script('examples/chat/app.py')
serving.serve(chat.make_app(**{'socketio.trusted_proxies': sys.argv[2]}), '127.0.0.1',
              int(sys.argv[1]))
'''


def serve_chat(trusted_proxies):
    port = free_port()
    return Process([PYTHON, '-c', SERVE_CHAT, str(port), trusted_proxies], port=port)


@pytest.fixture(scope='module')
def chat_behind_nginx():
    chat = serve_chat('127.0.0.1')
    nginx = Nginx([chat.port, chat.port], worker_connections=4096)
    yield chat, nginx
    nginx.stop()
    chat.stop()


def crowd(url, groups, seconds=90):
    """What the official node clients of ``groups`` got (see tests/node/crowd.js)."""
    done = subprocess.run(['node', CROWD, url, '/chat', json.dumps(groups), str(seconds)],
                          capture_output=True, text=True, timeout=seconds + 30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_thousand_websockets_and_300_pollers_connect_and_one_address_still_gets_its_share(
        chat_behind_nginx):
    _, nginx = chat_behind_nginx
    websockets = [{'address': '127.0.1.%d' % n, 'transport': 'websocket', 'count': 50}
                  for n in range(1, 21)]
    pollers = [{'address': '127.0.2.%d' % n, 'transport': 'polling', 'count': 50}
               for n in range(1, 7)]
    # one machine opening more than socketio.max_sessions_per_address (100), forging a
    # different X-Forwarded-For for each: nginx appends the address it saw
    greedy = {'address': '127.0.3.1', 'transport': 'polling', 'count': 120, 'forge': True}
    result = crowd(nginx.url, websockets + pollers + [greedy])
    *crowds, greedy_got = result['groups']
    assert result['pending'] == 0
    assert sum(got['connected'] for got in crowds) == 1300, crowds
    assert (greedy_got['connected'], greedy_got['refused']) == (100, 20), greedy_got
    assert greedy_got['errors'] == {'xhr poll error 429': 20}


def test_the_loopback_console_answers_the_machine_not_the_proxy(chat_behind_nginx):
    chat, nginx = chat_behind_nginx
    assert requests.get(nginx.url + '/console/', timeout=10).status_code == 200
    assert http_from('127.0.0.2').get(nginx.url + '/console/', timeout=10).status_code == 401
    # a forged header straight to the app, from an address that is not a trusted proxy
    forged = http_from('127.0.0.2').get(chat.url + '/console/', timeout=10,
                                        headers={'X-Forwarded-For': '127.0.0.1'})
    assert forged.status_code == 401
