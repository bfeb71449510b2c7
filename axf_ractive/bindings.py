"""Declaring, in Python, how pushed data changes a widget's data.

Each binding names what arrives (a socket event, or publications of a
channel the page subscribes to) and one operation on a keypath:

* ``set='path'``: replace the value at ``path``;
* ``append='path'``: push onto the list at ``path``;
* ``merge='path'``: merge an object into the object at ``path``;
* ``remove='path', key='id'``: drop from the list at ``path`` the items whose
  ``key`` equals the pushed value's ``key`` (or the pushed value itself);
* ``upsert='path', key='id'``: replace in the list at ``path`` the item whose
  ``key`` equals the pushed value's, or append the value when there is none
  (a list of values: each in turn). Applying it twice changes nothing.

:func:`on_presence` and :func:`on_rows` are the exceptions: they keep a whole
list equal to the members of a presence channel, or to the rows of a live
channel.
"""

OPERATIONS = ('set', 'append', 'merge', 'remove', 'upsert')
KEYED = ('remove', 'upsert')


def _operation(operation):
    chosen = [(name, keypath) for name, keypath in operation.items()
              if name in OPERATIONS and keypath is not None]
    unknown = set(operation) - set(OPERATIONS) - {'key'}
    if len(chosen) != 1 or unknown:
        raise TypeError('a binding takes exactly one of %s=keypath (and key= with %s)'
                        % ('/'.join(OPERATIONS), ' or '.join(KEYED)))
    (name, keypath), = chosen
    if name in KEYED and not operation.get('key'):
        raise TypeError("%s= needs key='field' naming the items' identity" % name)
    spec = {'op': name, 'keypath': keypath}
    if operation.get('key'):
        spec['key'] = operation['key']
    return spec


def on_event(event, namespace=None, **operation):
    """Apply each ``event`` of ``namespace`` (default: the widget's) to the data."""
    return dict(_operation(operation), event=event, namespace=namespace)


def on_publication(subscribe, namespace=None, **operation):
    """Subscribe with ``subscribe`` (``('room', '1')``) and apply each publication."""
    if isinstance(subscribe, str):
        subscribe = (subscribe,)
    return dict(_operation(operation), event='publication', subscribe=list(subscribe),
                namespace=namespace)


def on_presence(subscribe, keypath, namespace=None):
    """Keep the list at ``keypath`` equal to the members of a presence channel.

    The widget subscribes with ``subscribe`` (``('room', '1')``), asks
    ``('presence', channel)`` once acknowledged and sets the list, then applies
    each ``presence_diff`` of that channel: removes by ``id`` the members of its
    ``leaves``, and puts each member of its ``joins`` in place of the one with
    its ``id``, or at the end. After every reconnection it asks again.
    """
    if isinstance(subscribe, str):
        subscribe = (subscribe,)
    if not isinstance(keypath, str) or not keypath:
        raise TypeError('on_presence takes the keypath of the member list')
    return {'op': 'presence', 'keypath': keypath, 'key': 'id', 'event': 'presence',
            'subscribe': list(subscribe), 'namespace': namespace}


def on_rows(keypath, subscribe=None, order=None, model=None, namespace=None):
    """Keep the list at ``keypath`` equal to the rows of a live channel.

    The widget param at ``keypath`` is the :class:`~tgext.socketio.live.LiveRows`
    that :func:`tgext.socketio.live.rows` read for the page: the widget
    follows its channel from its position (taken before the rows were read),
    subscribing with its token, or with ``subscribe`` (``('todos', '1')``)
    when it has none. Each live publication of the channel upserts and
    deletes rows by key (entries of ``model`` only, default: the model of the
    rows; every model when neither says one); ``order`` (``'text'``, or
    ``'-id'`` descending) keeps the list sorted. A refresh entry, a recovery
    that is impossible or an expired token make the widget read its rows again
    from its ``refresh_url`` (default: the page's URL), without reloading the page.
    """
    if not isinstance(keypath, str) or not keypath:
        raise TypeError('on_rows takes the keypath of the row list')
    if isinstance(subscribe, str):
        subscribe = (subscribe,)
    if order is not None and (not isinstance(order, str) or order in ('', '-')):
        raise TypeError("order is a field name, or '-field' for descending")
    return {'op': 'rows', 'keypath': keypath, 'event': 'rows',
            'subscribe': list(subscribe) if subscribe else None, 'order': order,
            'model': model, 'namespace': namespace}


def update(widget, value, **operation):
    """The payload that changes widget ``widget`` from the server.

    Emit it as ``ractive`` from a namespace (``self.emit('ractive', update(...))``)
    or publish it to a channel the widget is subscribed to::

        publish('room-1', update('chat', {'uid': 'server', 'message': 'hi'},
                                 append='lines'), namespace='/chat')
    """
    return {'ractive': dict(_operation(operation), widget=widget, value=value)}
