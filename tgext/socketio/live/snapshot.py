"""The first paint of a live channel: its position first, then its rows.

Whatever commits after the position was taken is published after it, so a
view that replays the channel from that position misses nothing; whatever
had committed before is in the rows, and replaying it again changes nothing
(deltas are keyed upserts and deletes). So the overlap never doubles or drops
a row, whatever the order of the commit, the render and the publish.
"""
import tg

from ..namespaces.base import userid_of_request
from ..namespaces.runtime import current
from ..pubsub import publishing, tokens
from .declaration import spec_of

class LiveRows(list):
    """The public dicts of a channel's rows, with what a view needs to follow them.

    ``channel``, ``namespace``, ``model`` (the name in deltas), ``key`` (the
    identity field), ``position`` (taken before the rows were read) and
    ``token`` (a subscription token for the current user, or None when the app
    has no secret to sign one). A :class:`~axf_ractive.RactiveWidget` param
    bound with ``on_rows`` reads them.
    """

    def __init__(self, rows, channel, namespace, model, key, position, token):
        super().__init__(rows)
        self.channel, self.namespace, self.model, self.key = channel, namespace, model, key
        self.position, self.token = position, token


def rows(query, channel, token=True):
    """The rows of ``query`` (a SQLAlchemy query of a :func:`~tgext.socketio.live.live`
    model, not yet run) on ``channel``, as :class:`LiveRows`.

    The caller has authorized the current user for ``channel``: with ``token``
    (and a secret, see :mod:`tgext.socketio.pubsub.tokens`) the rows carry a
    subscription token saying so, and the widget subscribes with it.
    """
    model = query.column_descriptions[0]['entity']
    spec = spec_of(model)
    if spec is None:
        raise TypeError('rows() reads a @live model; %r is not one' % (model,))
    position = publishing.target_for(spec.namespace).history.top(channel)  # first
    found = [spec.public(row) for row in query]
    return LiveRows(found, channel, spec.namespace, spec.name, spec.key, position,
                    _token(channel, spec.namespace) if token else None)


def _token(channel, namespace):
    runtime = current()
    conf = runtime.conf if runtime is not None else tg.config
    secret = tokens.secret_of(conf)
    if secret is None:
        return None
    try:
        userid = userid_of_request(tg.request)
    except TypeError:  # no request: a script renders for nobody in particular
        userid = None
    return tokens.issue(secret, channel, namespace, userid,
                        float(conf.get('socketio.token_ttl', tokens.DEFAULT_TTL)))
