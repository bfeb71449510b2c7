"""The upgrade from long-polling to WebSocket, step by step with a raw client: a second
WebSocket for the same session is closed whether the first one has finished upgrading or
not (the protocol suite's "should ignore WebSocket connection with same sid after upgrade",
without its race)."""
import json

import requests
import websocket


def polling_session(url):
    body = requests.get(url + '/socketio/?EIO=4&transport=polling', timeout=10).text
    return json.loads(body[1:])['sid']


def session_websocket(url, sid):
    return websocket.create_connection(
        url.replace('http', 'ws') + '/socketio/?EIO=4&transport=websocket&sid=' + sid,
        timeout=5)


def closed(ws):
    try:
        return ws.recv() == ''
    except (websocket.WebSocketConnectionClosedException, OSError):
        return True


def test_a_second_websocket_is_closed_while_the_first_upgrades_and_after(features):
    sid = polling_session(features.url)
    first = session_websocket(features.url, sid)
    try:
        first.send('2probe')
        assert first.recv() == '3probe'            # upgrading: the upgrade packet not sent yet
        assert closed(session_websocket(features.url, sid))
        first.send('5')                            # upgraded
        assert closed(session_websocket(features.url, sid))
        first.send('40/features,')                 # the first one still serves the session
        answer = first.recv()
        while answer == '6':                       # the NOOP that ends the last poll
            answer = first.recv()
        assert answer.startswith('40/features,')
    finally:
        first.close()
