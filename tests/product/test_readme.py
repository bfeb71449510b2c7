"""The README's Python snippets, run as the app and the script they describe."""
import os
import re
import subprocess

import pytest
import requests

from tests.helpers import PYTHON, ROOT, Process, client, connect_refusals, free_port

README = open(os.path.join(ROOT, 'README.md'), encoding='utf-8').read()


def snippets(tag):
    return re.findall(r'<!-- %s -->\n```python\n(.*?)```' % tag, README, re.S)


@pytest.fixture(scope='module')
def readme_app(redis, tmp_path_factory):
    port = free_port()
    app_code = '\n'.join(snippets('readme-app'))
    assert app_code.count("'socketio.backend': 'memory://'") == 1
    [serve_code] = snippets('readme-serve')
    assert 'port=8080' in serve_code
    script = tmp_path_factory.mktemp('readme') / 'app.py'
    script.write_text('from gevent import monkey; monkey.patch_all()\n'
                      + app_code.replace('memory://', redis.url)
                      + serve_code.replace('port=8080', 'port=%d' % port))
    process = Process([PYTHON, str(script)], port=port)
    yield process
    process.stop()


def test_pingpong_namespace(readme_app):
    sio, seen = client(readme_app.url, '/pingpong')
    try:
        assert sio.call('ping', {'type': 'ping'}, namespace='/pingpong') == 1
        assert sio.call('ping', {'type': 'fireball'}, namespace='/pingpong') == 2
        sounds = [data['sound'] for (data,) in seen.wait_for('pong', 11)]
        assert sounds == ['pong'] + ['bang!'] * 10
    finally:
        sio.disconnect()
    assert requests.get(readme_app.url + '/').text == 'hello'


def test_account_namespace_refuses_anonymous(readme_app):
    assert connect_refusals(readme_app.url, '/account') == [{'message': 'log in first'}]


def test_chat_publications_from_a_controller_and_from_outside(readme_app, redis):
    sio, seen = client(readme_app.url, '/chat')
    try:
        assert sio.call('subscribe', ('room', '1'), namespace='/chat') == 'room-1'
        assert sio.call('subscribe', ('room', '7'), namespace='/chat')['error']['name'] == \
            'subscription_rejected'
        # the feature of the README's own (socketio.features) heard the one subscription made
        assert requests.get(readme_app.url + '/subscription_counts').json() == {'room-1': 1}
        sio.emit('user_message', ('room-1', 'hi all'), namespace='/chat')
        [(first, channel, position)] = seen.wait_for('publication')
        assert channel == 'room-1' and first['message'] == 'hi all'
        assert requests.get(readme_app.url + '/news/announce', params={'message': 'lunch'}
                            ).json() == {'sent': 'lunch'}
        seen.wait_for('publication', 2)
        [external] = snippets('readme-external')
        result = subprocess.run([PYTHON, '-c', external.replace('redis://127.0.0.1:6379/0',
                                                                redis.url)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        messages = [data['message'] for data, *_ in seen.wait_for('publication', 3)]
        assert messages == ['hi all', 'lunch', 'nightly backup done']
    finally:
        sio.disconnect()


def test_widget_snippet_renders_the_talks_template():
    [widget_code] = [code for code in snippets('readme-app') if 'RactiveWidget' in code]
    namespace = {}
    exec(compile(widget_code, 'README.md', 'exec'), namespace)
    from axf_ractive.render import render
    html = render(namespace['PingPongWidget'].ractive_template,
                  {'messages': [{'sound': 'pong'}]})
    assert '<div class="sound">pong</div>' in html


def test_presence_widget_snippet_declares_its_binding_and_renders():
    [widget_code] = snippets('readme-presence-widget')
    namespace = {}
    exec(compile(widget_code, 'README.md', 'exec'), namespace)
    widget = namespace['WhoIsHere']
    assert widget.bindings == [{'event': 'presence', 'subscribe': ['room', '1'], 'op': 'presence',
                                'keypath': 'members', 'key': 'id', 'namespace': None}]
    from axf_ractive.render import render
    assert render(widget.ractive_template, {'members': [{'id': '7', 'name': 'Ada'}]}) == (
        '<ul><li class="member">Ada</li></ul>')


def test_the_testing_snippet_passes_against_the_readme_app():
    """'Testing your app': the README's test, run in this process on the README's app."""
    import webtest
    namespace = {}
    exec(compile('\n'.join(snippets('readme-app')), 'README.md', 'exec'), namespace)
    [test_code] = snippets('readme-test')
    exec(compile(test_code, 'README.md', 'exec'), namespace)
    namespace['test_pingpong_and_chat'](webtest.TestApp(namespace['config'].make_wsgi_app()))


def test_the_main_namespace_with_a_payload_and_an_event_name_with_a_colon(readme_app):
    sio, seen = client(readme_app.url, '/', auth={'token': 'abc'})
    try:
        assert seen.wait_for('welcome') == [({'token': 'abc'},)]
        sio.emit('user:typing', 'me', namespace='/')
        other, other_seen = client(readme_app.url, '/')
        try:
            sio.emit('user:typing', 'me again', namespace='/')
            assert other_seen.wait_for('user:typing') == [('me again',)]
        finally:
            other.disconnect()
    finally:
        sio.disconnect()
