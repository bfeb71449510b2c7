"""History answers bounded in bytes (``socketio.max_answer_bytes``).

A ``history`` or ``recover`` answer carries at most that many bytes of publications
(always at least one): what one request can make the server hold for its client.
An answer that left some out says ``"more": true``; the client asks for the rest
with ``('history', channel, {"since": <the position of the last one it got>})``.
"""
import json


def capped(publications, max_bytes):
    """The first of ``[(data, position), ...]`` whose JSON fits in ``max_bytes`` (the
    first one always), and whether some were left out."""
    total = 0
    for count, publication in enumerate(publications):
        total += len(json.dumps(publication, separators=(',', ':'))) + 1
        if count and total > max_bytes:
            return publications[:count], True
    return publications, False
