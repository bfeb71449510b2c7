"""The text/event-stream format of our streams, and the ``Last-Event-ID`` they resume from.

An event's ``id:`` names the last position of every channel of the stream,
``channel=EPOCH:OFFSET`` pairs joined like a query string (channels URL-quoted),
so that the id a browser sends back on reconnection resumes all of them.
"""
import json
from urllib.parse import parse_qsl, quote

#: Milliseconds a browser waits before reconnecting (the ``retry:`` field).
RETRY_MS = 2000


def event(name, payload_json, event_id=None):
    """One event: ``payload_json`` is JSON text (no newline in it, as json.dumps makes)."""
    head = 'id: %s\n' % event_id if event_id is not None else ''
    return ('%sevent: %s\ndata: %s\n\n' % (head, name, payload_json)).encode('utf-8')


def json_text(value):
    """``value`` as the compact JSON of a ``data:`` line."""
    return json.dumps(value, separators=(',', ':'))


def control(name, value, event_id=None):
    """An event of ours (``subscribed``, ``error``) with a JSON ``value``."""
    return event(name, json_text(value), event_id)


def preamble():
    """What a stream starts with: the reconnection delay, and a comment that flushes
    the headers through proxies at once."""
    return ('retry: %d\n: stream open\n\n' % RETRY_MS).encode('utf-8')


#: A comment every few seconds keeps proxies and load balancers from timing the stream out.
KEEPALIVE = b': keepalive\n\n'


def event_id(positions):
    """The ``id:`` of ``{channel: position}`` (an epoch of None, a channel never published
    to, is empty)."""
    return '&'.join('%s=%s:%d' % (quote(channel, safe=''), position['epoch'] or '',
                                  position['offset'])
                    for channel, position in positions.items())


def parse_event_id(text):
    """``{channel: position}`` of a ``Last-Event-ID``; what is malformed is left out."""
    positions = {}
    for channel, value in parse_qsl(text or '', keep_blank_values=False):
        epoch, colon, offset = value.rpartition(':')
        if colon and offset.isdigit():
            positions[channel] = {'epoch': epoch or None, 'offset': int(offset)}
    return positions
