"""The console's page, made of this project's own reactive widgets.

Each widget is an :class:`axf_ractive.RactiveWidget` of the console's
namespace: the server paints it first, then the events the console's server
pushes (see :mod:`.namespace`) redraw it; its buttons send events back.
"""
import tw2.core as twc

from axf_ractive import RactiveWidget, on_event

from ..namespaces.runtime import current
from .namespace import NAMESPACE
from .theme import theme_css


class ConsoleWidget(RactiveWidget):
    """A widget of the console's namespace, in the console's look."""

    namespace = twc.Param(default=NAMESPACE)
    resources = RactiveWidget.resources + [theme_css]


class Cluster(ConsoleWidget):
    """Processes of the cluster (every server on the bus) and their connections."""

    ractive_params = ['overview']
    overview = twc.Param(default={})
    bindings = twc.Param(default=[on_event('console_overview', set='overview')])
    ractive_template = """
<section class="console-cluster panel">
  <h2>Processes <small>{{overview.totals.processes}} processes,
    <span class="total-connections">{{overview.totals.connections}}</span> connections,
    {{overview.totals.users}} users</small>
    <button class="refresh quiet" on-click="@this.send('refresh')">refresh</button></h2>
  <table class="processes"><tr><th>host</th><th>pid</th><th>connections</th>
    <th>namespaces</th><th>up since</th></tr>
  {{#overview.processes}}<tr class="process"><td>{{hostname}}</td><td class="pid">{{pid}}</td>
    <td class="connections">{{connections}}</td>
    <td>{{#namespaces}}<span class="namespace chip">{{namespace}}: {{connections}}</span> {{/namespaces}}</td>
    <td>{{up_since}}</td></tr>{{/overview.processes}}
  </table>
  <h2>Connections</h2>
  <table class="connections"><tr><th>namespace</th><th>user</th><th>address</th><th>pid</th>
    <th>channels</th><th>sid</th><th></th></tr>
  {{#overview.connections}}<tr class="connection" data-sid="{{sid}}"><td>{{namespace}}</td>
    <td class="user">{{user}}</td><td>{{address}}</td><td>{{pid}}</td>
    <td>{{#channels}}<span class="channel chip">{{.}}</span> {{/channels}}</td><td><code>{{sid}}</code></td>
    <td><button class="disconnect danger" on-click="@this.send('disconnect_connection', namespace, sid)"
      >disconnect</button>
    {{#user}}<button class="disconnect-user danger" on-click="@this.send('disconnect_user', user)"
      >disconnect user</button>{{/user}}</td></tr>{{/overview.connections}}
  </table>
</section>"""


class Channels(ConsoleWidget):
    """Live channels, their subscribers and presence members; ask for a channel's history."""

    ractive_params = ['overview', 'history']
    overview = twc.Param(default={})
    history = twc.Param(default=None)
    bindings = twc.Param(default=[on_event('console_overview', set='overview'),
                                  on_event('console_history', set='history')])
    ractive_template = """
<section class="console-channels panel">
  <h2>Channels <small>{{overview.totals.channels}}</small></h2>
  <table class="channels"><tr><th>namespace</th><th>channel</th><th>subscribers</th>
    <th>members</th><th></th></tr>
  {{#overview.channels}}<tr class="channel-row" data-channel="{{channel}}"><td>{{namespace}}</td>
    <td class="name">{{channel}}</td><td class="subscribers">{{subscribers}}</td>
    <td class="members">{{members}}</td>
    <td><button class="history quiet" on-click="@this.send('history', channel, 20, namespace)"
      >history</button></td></tr>{{/overview.channels}}
  </table>
  {{#history}}<div class="history"><h3>History of {{channel}}
    {{^complete}}<small>(older publications are gone)</small>{{/complete}}</h3>
    <ol>{{#publications}}<li><code>{{position.offset}}</code> {{detail}}</li>{{/publications}}</ol>
  </div>{{/history}}
</section>"""


class LiveLog(ConsoleWidget):
    """The live log of the cluster (sampled under load), filtered by kind and text."""

    #: Entries kept on the page.
    kept = 300

    ractive_params = ['entries', 'skipped', 'filterKind', 'filterText', 'shown']
    entries = twc.Param(default=[])
    skipped = twc.Param(default=0)
    filterKind = twc.Param(default='')
    filterText = twc.Param(default='')
    shown = twc.Param(default=[])
    bindings = twc.Param(default=[on_event('console_log', append='entries'),
                                  on_event('console_skipped', set='skipped')])
    ractive_template = """
<section class="console-log panel">
  <h2>Live log <small>{{#skipped}}{{skipped}} entries left out by sampling{{/skipped}}</small></h2>
  <select class="kind" value="{{filterKind}}"><option value="">everything</option>
    <option value="publication">publications</option><option value="event">events</option>
    <option value="connect">connections</option><option value="disconnect">disconnections</option>
  </select>
  <input class="filter" placeholder="filter" value="{{filterText}}">
  <ul class="log">{{#shown}}<li class="entry {{kind}}"><small>{{clock}}</small>
    <span class="kind">{{kind}}</span> {{namespace}} <span class="subject">{{subject}}</span>
    {{user}} <small>pid {{pid}}</small> <code>{{detail}}</code></li>{{/shown}}</ul>
</section>"""
    ractive_init = """
var kept = %d;
function show() {
  var entries = ractive.get('entries') || [];
  if (entries.length > kept) { ractive.splice('entries', 0, entries.length - kept); return; }
  var kind = ractive.get('filterKind'), text = (ractive.get('filterText') || '').toLowerCase();
  ractive.set('shown', entries.filter(function (entry) {
    return (!kind || entry.kind === kind) && (!text || entry.text.indexOf(text) >= 0);
  }).reverse());
}
ractive.observe('entries filterKind filterText', show);
""" % kept


class PublishForm(ConsoleWidget):
    """Publish JSON data to a channel, as ``publish()`` would; shows the console's notices."""

    ractive_params = ['target_namespace', 'channel', 'data', 'notice', 'error']
    target_namespace = twc.Param(default='/')
    channel = twc.Param(default='')
    data = twc.Param(default='{"text": "hello from the console"}')
    notice = twc.Param(default=None)
    error = twc.Param(default=None)
    bindings = twc.Param(default=[on_event('console_notice', set='notice')])
    ractive_template = """
<section class="console-publish panel">
  <h2>Publish</h2>
  <label>namespace <input class="namespace" value="{{target_namespace}}"></label>
  <label>channel <input class="channel" value="{{channel}}"></label>
  <label>data <input class="data" value="{{data}}" size="50"></label>
  <button class="publish" on-click="@this.send('publish', target_namespace, channel, data)"
    >publish</button>
  <p class="notice">{{notice.text}}</p><p class="error">{{error.message}}</p>
</section>"""

    def prepare(self):
        super().prepare()
        runtime = current()
        self.safe_modify('bindings')  # errors of this console's requests, as the app names them
        self.bindings.append(on_event(runtime.error_event if runtime else 'error', set='error'))
