"""The widget's front-end resources, injected once per page by tw2.

Ractive.js and the Socket.IO client come from the npm registry and are
served by tgext.socketio at ``socketio.assets_url``; the client module is
this package's own.
"""
import tw2.core as twc
from tg import config


class AssetLink(twc.JSLink):
    """A script served by tgext.socketio from the npm-installed assets."""

    asset = twc.Param('file name under socketio.assets_url')

    def prepare(self):
        self.link = config.get('socketio.assets_url', '/_socketio/') + self.asset
        super().prepare()


ractive_js = AssetLink(asset='ractive.min.js')
socketio_js = AssetLink(asset='socket.io.min.js')
client_js = twc.JSLink(modname='axf_ractive', filename='static/axf_ractive.js')
