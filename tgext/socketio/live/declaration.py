"""``@live(...)``: the declaration that makes a SQLAlchemy model's rows live."""
import string

import sqlalchemy as sa

from . import deltas, sending, tracking
from .outbox import CONFIGURED as outbox_settings

#: Attribute of a live model class holding its :class:`LiveModel`.
ATTRIBUTE = '__live__'


def live(channel, fields, namespace='/', key=None, name=None):
    """Class decorator: publish the model's committed changes on ``channel``.

    ``channel``: a format string of the row's attributes (``'todos-{list_id}'``)
    or a function of the row returning a channel or a list of channels.
    ``fields``: the attributes that are public, the only ones published; a
    change of other attributes publishes nothing. ``namespace``: the
    namespace path of the subscribers. ``key``: the identity field (default:
    the primary key). ``name``: the model's name in deltas (default: the class
    name). Inserts and updates become upserts, deletes deletes, and a row that
    moved from a channel to another is a delete on the old and an upsert on the
    new (see :mod:`tgext.socketio.live.deltas`).
    """
    def declare(model):
        spec = LiveModel(model, channel, fields, namespace, key, name)
        setattr(model, ATTRIBUTE, spec)
        tracking.track(model)
        return model
    return declare


def configure(backend=None, bus_channel=None, outbox=None, outbox_table=None):
    """Where a process that serves no Socket.IO and has no TurboGears config (a worker
    using the app's models) publishes live changes: the servers' backend URL.

    ``outbox``: True to keep its live publications in the outbox table (named
    ``outbox_table``, default ``socketio_outbox``) until sent, as ``socketio.outbox``
    does in an app (see :mod:`tgext.socketio.live.outbox`); None: as the config says."""
    sending.BACKEND.update(backend=backend, bus_channel=bus_channel)
    outbox_settings.update(outbox=outbox, table=outbox_table)


def spec_of(model):
    """The :class:`LiveModel` of a model class, or None."""
    return getattr(model, ATTRIBUTE, None)


class LiveModel:
    """What ``@live`` declared about one model."""

    def __init__(self, model, channel, fields, namespace, key, name):
        if not fields:
            raise TypeError('@live needs fields=(...): the attributes that are public')
        self.model = model
        self.name = name or model.__name__
        self.fields = tuple(fields)
        self.namespace = namespace
        self._channel = channel
        # a channel that names no attribute is the same for every row
        self._same_channel = None if callable(channel) or _names_attributes(channel) else (
            channel,)
        self._key = key

    @property
    def key(self):
        """The identity field of rows (the primary key unless declared)."""
        if self._key is None:
            primary_key = sa.inspect(self.model).primary_key
            if len(primary_key) != 1:
                raise TypeError('@live on %s needs key=: its primary key has %d columns'
                                % (self.name, len(primary_key)))
            self._key = sa.inspect(self.model).get_property_by_column(primary_key[0]).key
        return self._key

    def channels(self, row):
        """The channels ``row`` (an instance, or any object with its attributes) is on."""
        if self._same_channel is not None:
            return self._same_channel
        if callable(self._channel):
            found = self._channel(row)
        else:
            found = self._channel.format_map(_Attributes(row))
        if isinstance(found, str):
            return (found,)
        return tuple(found or ())

    def public(self, row):
        """The published dict of ``row``: its public fields, as JSON carries them."""
        loaded = getattr(row, '__dict__', {})  # read as is: the ORM's descriptors cost more
        public = {}
        for field in self.fields:
            value = loaded[field] if field in loaded else getattr(row, field)
            public[field] = value if type(value) in deltas.AS_THEY_ARE else \
                deltas.json_value(value)
        return public

    def identity(self, row, public=None):
        """The key of ``row`` (taken from its ``public`` dict when it is there)."""
        if public is not None and self.key in public:
            return public[self.key]
        return deltas.json_value(getattr(row, self.key))


def _names_attributes(channel):
    return any(field is not None for _, field, _, _ in string.Formatter().parse(channel))


class _Attributes(dict):
    """``format_map`` mapping reading a row's attributes."""

    def __init__(self, row):
        super().__init__()
        self.row = row

    def __missing__(self, name):
        return getattr(self.row, name)
