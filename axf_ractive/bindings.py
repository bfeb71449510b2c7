"""Declaring, in Python, how pushed data changes a widget's data.

Each binding names what arrives (a socket event, or publications of a
channel the page subscribes to) and one operation on a keypath:

* ``set='path'``: replace the value at ``path``;
* ``append='path'``: push onto the list at ``path``;
* ``merge='path'``: merge an object into the object at ``path``;
* ``remove='path', key='id'``: drop from the list at ``path`` the items whose
  ``key`` equals the pushed value's ``key`` (or the pushed value itself).

:func:`on_presence` is the exception: it keeps a whole list equal to the
members of a presence channel.
"""

OPERATIONS = ('set', 'append', 'merge', 'remove')


def _operation(operation):
    chosen = [(name, keypath) for name, keypath in operation.items()
              if name in OPERATIONS and keypath is not None]
    unknown = set(operation) - set(OPERATIONS) - {'key'}
    if len(chosen) != 1 or unknown:
        raise TypeError('a binding takes exactly one of %s=keypath (and key= with remove)'
                        % '/'.join(OPERATIONS))
    (name, keypath), = chosen
    if name == 'remove' and not operation.get('key'):
        raise TypeError("remove= needs key='field' naming the items' identity")
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
    ``('presence', channel)`` once acknowledged and sets the list, then adds
    the member of each ``presence_join`` of that channel (unless its ``id`` is
    there) and removes by ``id`` the member of each ``presence_leave``. After
    every reconnection it asks again.
    """
    if isinstance(subscribe, str):
        subscribe = (subscribe,)
    if not isinstance(keypath, str) or not keypath:
        raise TypeError('on_presence takes the keypath of the member list')
    return {'op': 'presence', 'keypath': keypath, 'key': 'id', 'event': 'presence',
            'subscribe': list(subscribe), 'namespace': namespace}


def update(widget, value, **operation):
    """The payload that changes widget ``widget`` from the server.

    Emit it as ``ractive`` from a namespace (``self.emit('ractive', update(...))``)
    or publish it to a channel the widget is subscribed to::

        publish('room-1', update('chat', {'uid': 'server', 'message': 'hi'},
                                 append='lines'), namespace='/chat')
    """
    return {'ractive': dict(_operation(operation), widget=widget, value=value)}
