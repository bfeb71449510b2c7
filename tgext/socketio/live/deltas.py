"""The wire contract of live data: what a publication of a live channel carries.

A live model's changes of one transaction on one channel are one publication
``publication(data, channel, position)`` whose ``data`` is::

    {"live": [{"model": "Todo", "key": "id",
               "upsert": [{"id": 1, "text": "milk", "done": false}, ...],
               "delete": [3, ...]}, ...]}

one entry per model, each row at most once (its state at commit). Applying
it is idempotent: upsert replaces the row with the same key (or adds it),
delete drops it if present. An entry ``{"model": "Todo", "refresh": true}``
says that rows changed in a way the ORM could not describe (a bulk
``update()``/``delete()``): read the channel's rows again.

With the outbox (:mod:`.outbox`), ``data`` also has ``"id"``: the message id (32
hex digits) by which the publication is delivered once. One relayed from the
outbox has a refresh entry after the deltas of each of its models.
"""
import datetime
import decimal
import uuid


def delta(model, key, upserts, deletes):
    """The entry of ``model``'s rows upserted (dicts) and deleted (keys)."""
    return {'model': model, 'key': key, 'upsert': upserts, 'delete': deletes}


def refresh(model):
    """The entry telling views to read ``model``'s rows of the channel again."""
    return {'model': model, 'refresh': True}


def publication(entries):
    """The ``data`` of one live publication."""
    return {'live': entries}


#: Column values JSON carries as they are (the common case, tested first).
AS_THEY_ARE = frozenset([str, int, float, bool, type(None)])


def json_value(value):
    """A column value as JSON carries it: dates as ISO 8601, decimals and UUIDs as text."""
    if type(value) in AS_THEY_ARE:
        return value
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    return value
