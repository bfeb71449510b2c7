"""How RactiveWidgets render: serialisation, first paint, bindings, injected resources."""
import json
import re

import pytest
import requests
import tw2.core as twc

from axf_ractive import RactiveWidget, on_event, on_presence, on_publication, on_rows, update
from axf_ractive.render import render, to_mustache
from axf_ractive.serialise import script_json

TALK_TEMPLATE = '{{#messages:idx}}<div>{{sound}}</div>{{/messages}}'


@pytest.mark.parametrize('value', ['</script><script>alert(1)</script>', '<!-- x', 'a\u2028b\u2029c',
                                   'fish & chips', {'nested': ['</SCRIPT>']}])
def test_script_json_cannot_break_out_and_round_trips(value):
    text = script_json(value)
    assert '<' not in text and '>' not in text and '&' not in text
    assert '\u2028' not in text and '\u2029' not in text
    assert json.loads(text) == value


def test_first_paint_of_the_talks_template():
    html = render(TALK_TEMPLATE, {'messages': [{'sound': 'pong'}, {'sound': 'bang!'}]})
    assert html == '<div>pong</div><div>bang!</div>'
    assert to_mustache('{{# items : i }}x{{/items}}{{^empty:j}}y{{/empty}}') == \
        '{{#items}}x{{/items}}{{^empty}}y{{/empty}}'


def test_first_paint_escapes_html_and_keeps_every_root():
    html = render('<h2>{{title}}</h2><p>{{body}}</p>', {'title': '<b>', 'body': 'a & b'})
    assert html == '<h2>&lt;b&gt;</h2><p>a &amp; b</p>'


def test_bindings_declare_one_operation():
    assert on_event('pong', append='messages') == {
        'event': 'pong', 'namespace': None, 'op': 'append', 'keypath': 'messages'}
    assert on_publication(('room', '1'), namespace='/chat', append='lines') == {
        'event': 'publication', 'subscribe': ['room', '1'], 'namespace': '/chat',
        'op': 'append', 'keypath': 'lines'}
    assert update('chat', {'id': 1}, remove='lines', key='id') == {'ractive': {
        'widget': 'chat', 'value': {'id': 1}, 'op': 'remove', 'keypath': 'lines', 'key': 'id'}}
    with pytest.raises(TypeError):
        on_event('pong', append='a', set='b')
    with pytest.raises(TypeError):
        on_event('pong', remove='lines')
    with pytest.raises(TypeError):
        on_event('pong', push='lines')


def test_a_presence_binding_names_the_subscription_and_the_list():
    assert on_presence(('room', '1'), 'members', namespace='/chat') == {
        'event': 'presence', 'subscribe': ['room', '1'], 'namespace': '/chat',
        'op': 'presence', 'keypath': 'members', 'key': 'id'}
    assert on_presence('lobby', 'who')['subscribe'] == ['lobby']
    with pytest.raises(TypeError):
        on_presence(('room', '1'), '')


def test_upsert_is_an_operation_that_needs_a_key():
    assert on_publication('notes', upsert='notes', key='id') == {
        'event': 'publication', 'subscribe': ['notes'], 'namespace': None,
        'op': 'upsert', 'keypath': 'notes', 'key': 'id'}
    assert update('notes', {'id': 1}, upsert='notes', key='id')['ractive']['op'] == 'upsert'
    with pytest.raises(TypeError, match='upsert= needs key='):
        on_event('note', upsert='notes')


def test_a_rows_binding_declares_its_list_and_how_to_follow_it():
    assert on_rows('todos') == {'op': 'rows', 'keypath': 'todos', 'event': 'rows',
                                'subscribe': None, 'order': None, 'model': None,
                                'namespace': None}
    assert on_rows('todos', subscribe='todos', order='-id', model='Todo')['subscribe'] == \
        ['todos']
    for bad in (dict(keypath=''), dict(keypath='todos', order='-')):
        with pytest.raises(TypeError):
            on_rows(**bad)


class Rows(RactiveWidget):
    namespace = '/elsewhere'
    ractive_params = ['todos']
    todos = twc.Param(default=[])
    bindings = [on_rows('todos', order='text')]


def test_a_rows_widget_config_carries_what_its_live_rows_say():
    """The channel, its position taken before the rows were read, and the token: the
    browser recovers from that position, not from the render time."""
    from tgext.socketio.live import LiveRows
    found = LiveRows([{'id': 1, 'text': 'milk'}], 'todos-1', '/todos', 'Todo', 'id',
                     {'epoch': 'e', 'offset': 3}, 'a-token')
    widget = Rows.req(id='rows', todos=found, refresh_url='/list?id=1',
                      socket_options={'transports': ['websocket']})
    widget.prepare()
    config = widget.ractive_config(widget.ractive_data())
    assert config['data'] == {'todos': [{'id': 1, 'text': 'milk'}]}
    assert config['bindings'] == [{
        'op': 'rows', 'keypath': 'todos', 'event': 'rows', 'subscribe': None, 'order': 'text',
        'model': 'Todo', 'namespace': '/todos', 'channel': 'todos-1', 'key': 'id',
        'position': {'epoch': 'e', 'offset': 3}, 'token': 'a-token'}]
    assert config['refresh_url'] == '/list?id=1'
    assert config['socket_options'] == {'transports': ['websocket']}
    assert json.loads(script_json(config)) == config


def test_rows_with_no_token_and_no_subscription_fail_loudly():
    widget = Rows.req(id='rows', todos=[{'id': 1}])
    widget.prepare()
    with pytest.raises(TypeError, match='no subscription token'):
        widget.ractive_config(widget.ractive_data())


def test_the_readme_rows_widget_follows_the_rows_it_is_given():
    import os
    from tests.helpers import ROOT
    from tgext.socketio.live import LiveRows
    readme = open(os.path.join(ROOT, 'README.md'), encoding='utf-8').read()
    [code] = re.findall(r'<!-- readme-rows-widget -->\n```python\n(.*?)```', readme, re.S)
    namespace = {}
    exec(compile(code, 'README.md', 'exec'), namespace)
    found = LiveRows([{'id': 2, 'text': 'eggs', 'done': True}], 'todos-1', '/todos', 'Todo', 'id',
                     {'epoch': 'e', 'offset': 7}, 'a-token')
    widget = namespace['TodoList'].req(id='todos', todos=found)
    widget.prepare()
    config = widget.ractive_config(widget.ractive_data())
    [binding] = config['bindings']
    assert (binding['op'], binding['order'], binding['channel'], binding['position'],
            binding['token']) == ('rows', 'text', 'todos-1', {'epoch': 'e', 'offset': 7}, 'a-token')
    assert '<li class="todo">eggs (done)</li>' in render(widget.ractive_template,
                                                          widget.ractive_data())


def script_sources(html):
    return re.findall(r'<script type="text/javascript" src="([^"]+)"', html)


def test_resources_are_injected_once_per_page(gallery):
    html = requests.get(gallery.url + '/').text
    sources = script_sources(html)
    assert sorted(sources) == ['/_socketio/ractive.min.js', '/_socketio/socket.io.min.js',
                               '/tw2/resources/axf_ractive/static/axf_ractive.js']
    for source in sources:
        assert requests.get(gallery.url + source).status_code == 200


def test_the_socket_client_only_when_a_widget_needs_it(gallery):
    sources = script_sources(requests.get(gallery.url + '/cards').text)
    assert sorted(sources) == ['/_socketio/ractive.min.js',
                               '/tw2/resources/axf_ractive/static/axf_ractive.js']


def test_each_widget_is_registered_by_its_id(gallery):
    html = requests.get(gallery.url + '/').text
    configs = {match: json.loads(config) for match, config in re.findall(
        r'<script type="application/json" data-axf-ractive="([^"]+)">(.*?)</script>', html)}
    assert sorted(configs) == ['board', 'child', 'first', 'parent', 'second', 'xss']
    assert all(config['id'] == name for name, config in configs.items())
    assert configs['parent']['el'] == 'parent:view' and configs['first']['el'] == 'first'


def test_a_widget_over_server_sent_events_only_listens_and_needs_no_socket_client():
    class Board(RactiveWidget):
        ractive_params = ['lines']
        lines = twc.Param(default=[])
        ractive_template = '<p>{{lines}}</p>'

    listening = Board(id='board', events_url='/events',
                      bindings=[on_publication(('room', '1'), append='lines')]).req()
    listening.prepare()
    over_sockets = Board(id='sockets', bindings=[on_publication(('room', '1'),
                                                                append='lines')]).req()
    over_sockets.prepare()
    assert 'socket.io.min.js' in [getattr(link, 'asset', None) for link in over_sockets.resources]
    assert 'socket.io.min.js' not in [getattr(link, 'asset', None) for link in listening.resources]
    sending = Board(id='send', events_url='/events', ractive_template='<b on-click="@this.send(\'x\')"/>')
    with pytest.raises(TypeError, match='only listens'):
        sending.req().prepare()
    with pytest.raises(TypeError, match='only on_publication and on_rows'):
        Board(id='ev', events_url='/events', bindings=[on_event('pong', append='lines')]).req() \
            .prepare()
