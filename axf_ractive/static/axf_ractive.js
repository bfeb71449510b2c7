/* axf_ractive client module: starts every RactiveWidget of the page and
 * applies pushed data to it, as declared by the widget in Python.
 *
 * Each widget is a <div id=ID> holding its server-rendered HTML, followed by
 * <script type="application/json" data-axf-ractive=ID> with its config.
 * document.RAWidgets[ID] is its Ractive instance. Nothing else is global.
 *
 * Written for axf_ractive in this repository; not a copy of any published
 * package. Ractive and socket.io-client themselves come from the npm registry
 * (public/package.json) and are never committed.
 */
(function () {
  'use strict';
  var widgets = document.RAWidgets = document.RAWidgets || {};
  var sockets = {};

  // Ractive 1.x no longer redraws after a native array mutation; this
  // adaptor makes `ractive.get('list').push(x)` redraw, as Ractive 0.x did.
  var MUTATORS = ['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse'];
  var redrawingArrays = {
    filter: function (value) { return Array.isArray(value); },
    wrap: function (ractive, array, keypath) {
      MUTATORS.forEach(function (name) {
        Object.defineProperty(array, name, {
          configurable: true, enumerable: false, writable: true,
          value: function () {
            var result = Array.prototype[name].apply(array, arguments);
            ractive.update(keypath);
            return result;
          }
        });
      });
      return {
        get: function () { return array; },
        set: function (property, value) { array[property] = value; },
        reset: function () { return false; },
        teardown: function () { MUTATORS.forEach(function (name) { delete array[name]; }); }
      };
    }
  };

  // One socket per endpoint, namespace and socket options, shared by the widgets of the
  // page that have the same. A server-addressed change (see applyUpdate) is applied once per
  // publication, however many widgets subscribe to the channel it came on, live or recovered.
  function socketFor(namespace, config, binding) {
    if (config.events_url) return new EventStreamSocket(config, binding);
    var options = config.socket_options || null;
    var key = config.path + ' ' + namespace + ' ' + JSON.stringify(options);
    if (!sockets[key]) {
      var socket = sockets[key] = window.io(namespace, ioOptions(config.path, options));
      socket.axfApplied = {};  // "channel epoch offset" of server-addressed changes applied
      socket.axfWidgets = [];
      socket.on('ractive', applyUpdate);
      socket.on(config.publication_event, function (data, channel, position) {
        if (data && data.ractive) applyUpdateOnce(socket, data, channel, position);
      });
      socket.on('disconnect', function () {
        socket.axfWidgets.forEach(function (id) { mark(id, 'axf-ractive-disconnected', true); });
      });
    }
    if (sockets[key].axfWidgets.indexOf(config.id) < 0) sockets[key].axfWidgets.push(config.id);
    return sockets[key];
  }

  // A widget with events_url only listens, over Server-Sent Events: each binding has a
  // stand-in for its socket that speaks what bind and bindRows ask of one ('connect',
  // 'disconnect', publications, and 'recover' answered by the stream's 'subscribed'
  // event), so that both follow a stream as they follow a socket. The stream resumes from
  // the binding's last position (lastEventId) or its render time (sinceTime); when it
  // fails, the stand-in says 'disconnect', then 'connect' a moment later, and the binding
  // recovers from where it was, as after a socket's reconnection.
  function EventStreamSocket(config, binding) {
    this.config = config;
    this.channel = (binding && binding.channel) || null;
    this.handlers = {};
    this.axfApplied = {};
    this.connected = false;
    this.source = null;
    var self = this;
    this.on('disconnect', function () { mark(config.id, 'axf-ractive-disconnected', true); });
    window.setTimeout(function () { self.connected = true; self.fire('connect'); }, 0);
  }

  EventStreamSocket.prototype.on = function (event, handler) {
    (this.handlers[event] = this.handlers[event] || []).push(handler);
  };

  EventStreamSocket.prototype.fire = function (event) {
    var args = Array.prototype.slice.call(arguments, 1);
    (this.handlers[event] || []).forEach(function (handler) { handler.apply(null, args); });
  };

  EventStreamSocket.prototype.emit = function (event, since) {
    var asked = Array.prototype.slice.call(arguments, 2, -1);
    var answer = arguments[arguments.length - 1];
    if (event !== 'recover') throw new Error('axf_ractive: over Server-Sent Events a widget only listens');
    var self = this, config = this.config, opened = false;
    if (this.source) this.source.close();
    var source = this.source = new window.EventSource(streamUrl(config.events_url, asked, since,
                                                                 this.channel),
                                                       { withCredentials: true });
    source.addEventListener('subscribed', function (message) {
      var subscribed = JSON.parse(message.data);
      opened = true;
      self.channel = subscribed.channel;
      answer({ channel: subscribed.channel, recovered: subscribed.recovered, publications: [],
               position: subscribed.position });
    });
    source.addEventListener(config.publication_event, function (message) {
      var position = positionIn(message.lastEventId, self.channel);
      self.fire(config.publication_event, JSON.parse(message.data), self.channel, position);
    });
    source.onerror = function () {
      source.close();
      if (!opened) return answer({ error: { name: 'subscription_rejected',
                                            message: 'the event stream was refused' } });
      self.connected = false;
      self.fire('disconnect');
      window.setTimeout(function () { self.connected = true; self.fire('connect'); }, 2000);
    };
  };

  // The stream URL of a subscription (['room', '1'] or [{token: t}]) from `since`.
  function streamUrl(base, asked, since, channel) {
    var url = base.replace(/\/$/, ''), query = [];
    if (asked.length === 1 && asked[0] && typeof asked[0] === 'object') {
      query.push('token=' + encodeURIComponent(asked[0].token));
    } else {
      url += '/' + asked.map(function (part) { return encodeURIComponent(String(part)); }).join('/');
    }
    if (since && since.offset !== undefined && channel) {
      query.push('lastEventId=' + encodeURIComponent(
        encodeURIComponent(channel) + '=' + (since.epoch || '') + ':' + since.offset));
    } else if (since && since.time !== undefined) {
      query.push('sinceTime=' + since.time);
    }
    return query.length ? url + '?' + query.join('&') : url;
  }

  // The position of `channel` in an event's id (channel=EPOCH:OFFSET pairs joined by &).
  function positionIn(eventId, channel) {
    var found = null;
    (eventId || '').split('&').forEach(function (pair) {
      var equals = pair.indexOf('='), colon = pair.lastIndexOf(':');
      if (equals > 0 && colon > equals && decodeURIComponent(pair.slice(0, equals)) === channel) {
        found = { epoch: pair.slice(equals + 1, colon) || null, offset: Number(pair.slice(colon + 1)) };
      }
    });
    return found;
  }

  // io()'s options: the endpoint's path, then the widget's socket_options. A widget with
  // options of its own gets a connection of its own (forceNew), else socket.io-client would
  // reuse the connection of another namespace, made with other transports.
  function ioOptions(path, options) {
    var result = { path: path };
    if (options) {
      result.forceNew = true;
      Object.keys(options).forEach(function (name) { result[name] = options[name]; });
    }
    return result;
  }

  function mark(id, cssClass, on) {
    var element = document.getElementById(id);
    if (element) element.classList.toggle(cssClass, on);
  }

  function applyUpdateOnce(socket, data, channel, position) {
    var key = position ? channel + ' ' + position.epoch + ' ' + position.offset : null;
    if (key && socket.axfApplied[key]) return;
    if (key) socket.axfApplied[key] = true;
    applyUpdate(data);
  }

  function apply(ractive, op, keypath, value, key) {
    if (op === 'set') return ractive.set(keypath, value);
    if (op === 'append') return ractive.push(keypath, value);
    if (op === 'merge') {
      return ractive.set(keypath, Object.assign({}, ractive.get(keypath), value));
    }
    if (op === 'remove') {
      var identity = (value !== null && typeof value === 'object') ? value[key] : value;
      return ractive.set(keypath, (ractive.get(keypath) || []).filter(function (item) {
        return !(item && item[key] === identity);
      }));
    }
    if (op === 'upsert') {
      return ractive.set(keypath, upserted(ractive.get(keypath), value, key));
    }
    throw new Error('axf_ractive: unknown operation ' + op);
  }

  // A copy of `list` where each of `values` (one value, or a list) replaced the item with its
  // key, or was appended: applying it twice changes nothing.
  function upserted(list, values, key) {
    var result = Array.isArray(list) ? list.slice() : [];
    var index = {};  // JSON of a key -> its item's index: a burst of rows stays linear
    result.forEach(function (item, i) {
      if (item && typeof item === 'object') index[JSON.stringify(item[key])] = i;
    });
    (Array.isArray(values) ? values : [values]).forEach(function (value) {
      if (value === null || typeof value !== 'object') return;
      var identity = JSON.stringify(value[key]);
      if (Object.prototype.hasOwnProperty.call(index, identity)) {
        result[index[identity]] = value;
      } else {
        index[identity] = result.length;
        result.push(value);
      }
    });
    return result;
  }

  // A server-addressed change: {ractive: {widget, op, keypath, value, key}}.
  function applyUpdate(payload) {
    var change = payload && payload.ractive;
    var ractive = change && widgets[change.widget];
    if (ractive) apply(ractive, change.op, change.keypath, change.value, change.key);
    return Boolean(ractive);
  }

  function rejected(ractive, config, subscribe, answer) {
    mark(config.id, 'axf-ractive-rejected', true);
    ractive.fire('subscription_rejected', subscribe, answer && answer.error);
  }

  // The acknowledgement of a @this.send(event, ...): {error: ...} when the server refused it.
  // A refusal shows (axf-ractive-refused, and a `refused` event); a later success clears it.
  function sent(ractive, config, event, answer) {
    var error = answer !== null && typeof answer === 'object' && !Array.isArray(answer) &&
      answer.error;
    mark(config.id, 'axf-ractive-refused', Boolean(error));
    if (error) ractive.fire('refused', event, error);
  }

  function isNewer(position, last) {
    return !position || !last || position.epoch !== last.epoch || position.offset > last.offset;
  }

  // A publication binding subscribes with 'recover': from the time the page was rendered
  // at first, then from the last position it saw, after every reconnection. Publications
  // that arrive while it waits for the answer are kept, and applied after the ones the
  // answer brings, each once (see the wire contract in the README).
  function bind(ractive, binding, config) {
    if (binding.event === 'presence') return bindPresence(ractive, binding, config);
    if (binding.op === 'rows') return bindRows(ractive, binding, config);
    var socket = socketFor(binding.namespace, config, binding);
    if (binding.event !== 'publication') {
      socket.on(binding.event, function (value) {
        apply(ractive, binding.op, binding.keypath, value, binding.key);
      });
      return;
    }
    var channel = null, last = null, waiting = null;
    function receive(data, position) {
      if (!isNewer(position, last)) return;
      if (position) last = position;
      if (data && data.ractive) applyUpdateOnce(socket, data, channel, position);
      else apply(ractive, binding.op, binding.keypath, data, binding.key);
    }
    socket.on(config.publication_event, function (data, from, position) {
      if (from !== channel) return;
      if (waiting) waiting.push([data, position]);
      else receive(data, position);
    });
    var recover = function () {
      var since = last || { time: config.rendered };
      waiting = [];
      socket.emit.apply(socket, ['recover', since].concat(binding.subscribe, [function (answer) {
        if (!answer || typeof answer.channel !== 'string') {
          waiting = null;
          return rejected(ractive, config, binding.subscribe, answer);
        }
        channel = answer.channel;
        // An answer capped in bytes says "more": the rest comes page by page from the
        // history, from the last publication applied; live ones wait until it has come.
        var settle = function (publications, more, recovered) {
          publications.forEach(function (publication) { receive(publication[0], publication[1]); });
          if (more) {
            return socket.emit('history', channel, { since: last }, function (page) {
              if (!page || !Array.isArray(page.publications)) {
                waiting = null;
                return rejected(ractive, config, binding.subscribe, page);
              }
              settle(page.publications, page.more, recovered && page.recovered);
            });
          }
          var arrived = waiting;
          waiting = null;
          arrived.forEach(function (publication) { receive(publication[0], publication[1]); });
          if (!last || isNewer(answer.position, last)) last = answer.position;
          if (ractive.subscriptions.indexOf(channel) < 0) ractive.subscriptions.push(channel);
          mark(config.id, 'axf-ractive-disconnected', false);
          if (!recovered) {
            mark(config.id, 'axf-ractive-stale', true);
            if (ractive.fire('recovery_failed', channel) !== false) window.location.reload();
            return;
          }
          ractive.fire('subscribed', channel, last);
        };
        settle(answer.publications, answer.more, answer.recovered);
      }]));
    };
    socket.on('connect', recover);  // again after every reconnection
    if (socket.connected) recover();
  }

  // A presence binding keeps the list at its keypath equal to the channel's members. It
  // subscribes itself (a second subscription of the same connection is harmless), asks
  // ('presence', channel) once acknowledged and sets the list; then it applies each
  // presence_diff of the channel: drops by id the members of its leaves (an absent one: no
  // change), and puts each member of its joins in place of the one with its id, or at the
  // end. Diffs that arrive while it waits for the list are applied after it, in order
  // (replaying one the list already reflects changes nothing). After every reconnection it
  // subscribes and asks again: members came and went meanwhile.
  function bindPresence(ractive, binding, config) {
    var socket = socketFor(binding.namespace, config);
    var channel = null, waiting = null;
    function change(diff) {
      var leaving = Object.create(null), joining = Object.create(null);
      (diff.leaves || []).forEach(function (member) { leaving[member.id] = true; });
      (diff.joins || []).forEach(function (member) { joining[member.id] = member; });
      var before = ractive.get(binding.keypath) || [], list = [];
      before.forEach(function (item) {
        var id = item && item.id;
        if (id in joining) {
          list.push(joining[id]);
          delete joining[id];
        } else if (!(id in leaving)) {
          list.push(item);
        }
      });
      (diff.joins || []).forEach(function (member) {
        if (member.id in joining) {
          list.push(joining[member.id]);
          delete joining[member.id];
        }
      });
      if ((diff.joins || []).length || list.length !== before.length) {
        ractive.set(binding.keypath, list);  // a leave of an absent member changes nothing
      }
    }
    socket.on('presence_diff', function (diff, from) {
      if (from !== channel || !diff) return;
      if (waiting) waiting.push(diff);
      else change(diff);
    });
    function ask() {
      socket.emit('presence', channel, function (members) {
        var arrived = waiting;
        waiting = null;
        if (!Array.isArray(members)) {
          return rejected(ractive, config, ['presence', channel], members);
        }
        ractive.set(binding.keypath, members);
        arrived.forEach(change);
        mark(config.id, 'axf-ractive-disconnected', false);
        ractive.fire('presence', channel, members);
      });
    }
    var subscribe = function () {
      socket.emit.apply(socket, ['subscribe'].concat(binding.subscribe, [function (answer) {
        if (typeof answer !== 'string') return rejected(ractive, config, binding.subscribe, answer);
        channel = answer;
        waiting = [];
        if (ractive.subscriptions.indexOf(channel) < 0) ractive.subscriptions.push(channel);
        ask();
      }]));
    };
    socket.on('connect', subscribe);  // again after every reconnection
    if (socket.connected) subscribe();
  }

  // A rows binding keeps the list at its keypath equal to the rows of a live channel (the
  // deltas of tgext.socketio.live, see the README's wire contract). The server rendered the
  // rows with the channel's position taken *before* they were read: the binding recovers
  // from that position (with the rows' subscription token, or the binding's subscribe
  // arguments), so a change committed after the position is replayed and one committed
  // before is already there (replaying it changes nothing: upserts and deletes by key).
  // After a reconnection it recovers from the last position it saw. A refresh entry, an
  // impossible recovery or an expired token make it read its rows again: it fetches its
  // refresh_url (the page, by default), takes the config of the widget with the same id out
  // of the HTML, sets the rows and their position, and recovers from there.
  function bindRows(ractive, binding, config) {
    var socket = socketFor(binding.namespace, config, binding);
    var channel = binding.channel, last = binding.position || null, token = binding.token;
    var rendered = config.rendered;
    var waiting = null;       // publications kept while a recover is unanswered
    var subscribed = false;   // the server acknowledged the recover: publications apply
    var refreshing = false, mustRefresh = false, renewed = false, retries = 0;

    function rowsNow() {
      var value = ractive.get(binding.keypath);
      return Array.isArray(value) ? value.slice() : [];
    }

    // Applies a live publication; true when the rows must be read again instead.
    function applyLive(data) {
      var rows = null, refresh = false;
      (Array.isArray(data.live) ? data.live : []).forEach(function (entry) {
        if (refresh || !entry || (binding.model && entry.model !== binding.model)) return;
        if (entry.refresh) {
          refresh = true;
          return;
        }
        var key = entry.key || binding.key;
        rows = upserted(rows || rowsNow(), entry.upsert || [], key);
        var gone = {};
        (entry['delete'] || []).forEach(function (identity) { gone[JSON.stringify(identity)] = 1; });
        rows = rows.filter(function (row) { return !(row && gone[JSON.stringify(row[key])]); });
      });
      if (refresh) return true;
      if (rows) ractive.set(binding.keypath, sorted(rows, binding.order, binding.key));
      return false;
    }

    function receive(data, position) {
      if (!isNewer(position, last)) return false;
      if (position) last = position;
      if (data && data.live) return applyLive(data);
      if (data && data.ractive) applyUpdateOnce(socket, data, channel, position);
      return false;
    }

    socket.on(config.publication_event, function (data, from, position) {
      if (from !== channel || refreshing) return;
      if (waiting) waiting.push([data, position]);
      else if (subscribed && receive(data, position)) refresh();
    });
    socket.on('disconnect', function () { subscribed = false; });

    function recover() {
      if (refreshing) return;
      if (mustRefresh) return refresh();
      var asked = token ? [{ token: token }] : (binding.subscribe || []);
      var named = binding.subscribe || [channel];
      var since = last || { time: rendered };
      waiting = [];
      subscribed = false;
      socket.emit.apply(socket, ['recover', since].concat(asked, [function (answer) {
        var arrived = waiting || [];
        waiting = null;
        if (refreshing) return;
        if (!answer || typeof answer.channel !== 'string') {
          var error = answer && answer.error;
          if (token && error && error.reason === 'expired_token' && !renewed) {
            renewed = true;  // once: a page that keeps giving expired tokens is refused
            return refresh();
          }
          return rejected(ractive, config, named, answer);
        }
        renewed = false;
        channel = answer.channel;
        subscribed = true;
        mark(config.id, 'axf-ractive-rejected', false);
        mark(config.id, 'axf-ractive-disconnected', false);
        if (!answer.recovered || answer.more) return refresh();  // more: missed too much to replay
        var publications = answer.publications.concat(arrived);
        for (var i = 0; i < publications.length; i++) {
          if (receive(publications[i][0], publications[i][1])) return refresh();
        }
        if (answer.position && (!last || isNewer(answer.position, last))) last = answer.position;
        if (ractive.subscriptions.indexOf(channel) < 0) ractive.subscriptions.push(channel);
        ractive.fire('subscribed', channel, last);
      }]));
    }

    function refresh() {
      if (refreshing) return;
      refreshing = mustRefresh = true;
      subscribed = false;
      waiting = null;
      mark(config.id, 'axf-ractive-stale', true);
      var url = config.refresh_url || window.location.href;
      window.fetch(url, { credentials: 'include', headers: { Accept: 'text/html' } })
        .then(function (response) {
          if (!response.ok) throw new Error('HTTP ' + response.status + ' from ' + url);
          return response.text();
        })
        .then(function (html) {
          var fresh = configIn(html, config.id), found = null;
          (fresh ? fresh.bindings : []).forEach(function (candidate) {
            if (candidate.op === 'rows' && candidate.keypath === binding.keypath) found = candidate;
          });
          if (!found) throw new Error(url + ' shows no widget ' + config.id + ' with rows at ' +
                                      binding.keypath);
          refreshing = mustRefresh = false;
          retries = 0;
          last = found.position || null;
          token = found.token;
          channel = found.channel || channel;
          rendered = fresh.rendered;
          ractive.set(binding.keypath, valueAt(fresh.data, binding.keypath) || []);
          mark(config.id, 'axf-ractive-stale', false);
          ractive.fire('refreshed', channel, ractive.get(binding.keypath));
          if (socket.connected) recover();
        })
        .catch(function (error) {
          refreshing = false;  // mustRefresh stays: try again later, and at the next connection
          ractive.fire('refresh_failed', channel, String(error));
          retries += 1;
          window.setTimeout(function () {
            if (mustRefresh && !refreshing && socket.connected) refresh();
          }, Math.min(30000, 1000 * Math.pow(2, Math.min(retries, 5))));
        });
    }

    socket.on('connect', recover);  // again after every reconnection
    if (socket.connected) recover();
  }

  // The config of widget `id` in the HTML of a page.
  function configIn(html, id) {
    var page = new window.DOMParser().parseFromString(html, 'text/html');
    var scripts = page.querySelectorAll('script[type="application/json"][data-axf-ractive]');
    for (var i = 0; i < scripts.length; i++) {
      if (scripts[i].getAttribute('data-axf-ractive') === id) {
        return JSON.parse(scripts[i].textContent);
      }
    }
    return null;
  }

  function valueAt(data, keypath) {
    return keypath.split('.').reduce(function (value, part) {
      return value !== null && typeof value === 'object' ? value[part] : undefined;
    }, data);
  }

  // `rows` sorted by `order` ('field', or '-field' descending; none: as they are), ties by key.
  function sorted(rows, order, key) {
    if (!order) return rows;
    var descending = order.charAt(0) === '-', field = descending ? order.slice(1) : order;
    function compare(a, b) {
      if (a === b) return 0;
      if (a === undefined || a === null) return 1;
      if (b === undefined || b === null) return -1;
      return a < b ? -1 : 1;
    }
    return rows.slice().sort(function (a, b) {
      var byField = compare(a && a[field], b && b[field]);
      return (descending ? -byField : byField) || compare(a && a[key], b && b[key]);
    });
  }

  function start(config) {
    window.Ractive.DEBUG = !!config.debug;  // socketio.ractive_debug: its banner and warnings
    var ractive = new window.Ractive({
      el: document.getElementById(config.el),
      template: config.template,
      data: config.data,
      enhance: true,
      adapt: [redrawingArrays]
    });
    if (config.namespace && !config.events_url) {
      var socket = ractive.socket = socketFor(config.namespace, config);
      // Sends of this widget not acknowledged yet. The server refuses a send in its
      // acknowledgement; the edge refuses some (too many events, too large) with an error
      // event and a disconnection instead, and no acknowledgement ever comes: the error event
      // heard while the oldest send waited is then that send's refusal.
      var unanswered = [];
      socket.on(config.error_event || 'error', function (error) {
        if (unanswered.length && !unanswered[0].heard) unanswered[0].heard = error || {};
      });
      socket.on('disconnect', function () {
        var lost = unanswered;
        unanswered = [];
        lost.forEach(function (send) {
          if (send.heard) sent(ractive, config, send.event, { error: send.heard });
        });
      });
      ractive.send = function (event) {
        var send = { event: event, heard: null };
        unanswered.push(send);
        socket.emit.apply(socket, Array.prototype.slice.call(arguments).concat([function (answer) {
          var index = unanswered.indexOf(send);
          if (index >= 0) unanswered.splice(index, 1);
          sent(ractive, config, event, answer);
        }]));
      };
    }
    ractive.subscriptions = [];  // channels the server acknowledged
    config.bindings.forEach(function (binding) { bind(ractive, binding, config); });
    widgets[config.id] = ractive;
    if (config.init) new Function('ractive', config.init)(ractive);
  }

  function startAll() {
    var configs = document.querySelectorAll('script[type="application/json"][data-axf-ractive]');
    Array.prototype.forEach.call(configs, function (element) {
      if (!widgets[element.getAttribute('data-axf-ractive')]) {
        start(JSON.parse(element.textContent));
      }
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', startAll);
  } else {
    startAll();
  }
})();
