"""ConsoleController: the live console, mounted by the app like any controller."""
import markupsafe
from tg import expose, request
from tg.predicates import Predicate

from ..app.controller import SocketIOController
from .namespace import NAMESPACE, ConsoleNamespace, hub_of
from .widgets import Channels, Cluster, LiveLog, PublishForm

PAGE = markupsafe.Markup("""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>tgext.socketio console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
</head>
<body><header class="topbar"><span class="brand">tgext.socketio <small>console</small></span>
<nav></nav><span class="aside">every process of the cluster, live</span></header>
<main>{cluster}{channels}{publish}{log}</main>
</body></html>""")


class ConsoleController(SocketIOController):
    """A page that shows and steers every process of the cluster (see the README).

    ``predicate``: who may open it (a TurboGears predicate, e.g.
    ``has_permission('manage')``); others get 403 (401 when anonymous), on
    the page and on its Socket.IO endpoint alike. The page needs ToscaWidgets2
    (``tgext.tw2``) like any reactive widget::

        class RootController(TGController):
            console = ConsoleController(has_permission('manage'))   # /console/
    """

    def __init__(self, predicate):
        if not isinstance(predicate, Predicate):
            raise TypeError('ConsoleController(predicate): a TurboGears predicate saying who '
                            'may use the console, e.g. has_permission("manage")')
        super().__init__()
        self.allow_only = predicate

    @classmethod
    def namespace_classes(cls):
        return {NAMESPACE: ConsoleNamespace}

    @expose(content_type='text/html')
    def index(self, *args, **kw):
        """The console page; Engine.IO requests go to the console's Socket.IO server."""
        if 'EIO' in request.GET:
            return super().index(*args, **kw)
        overview = hub_of(self.server).overview()
        return PAGE.format(cluster=Cluster.req(id='console-cluster', overview=overview).display(),
                           channels=Channels.req(id='console-channels',
                                                 overview=overview).display(),
                           publish=PublishForm.req(id='console-publish').display(),
                           log=LiveLog.req(id='console-log').display())
