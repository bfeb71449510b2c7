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

  // One socket per endpoint and namespace, shared by the widgets of the page.
  // A server-addressed change (see applyUpdate) is applied once per publication,
  // however many widgets subscribe to the channel it came on, live or recovered.
  function socketFor(namespace, config) {
    var key = config.path + ' ' + namespace;
    if (!sockets[key]) {
      var socket = sockets[key] = window.io(namespace, { path: config.path });
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
    throw new Error('axf_ractive: unknown operation ' + op);
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

  function isNewer(position, last) {
    return !position || !last || position.epoch !== last.epoch || position.offset > last.offset;
  }

  // A publication binding subscribes with 'recover': from the time the page was rendered
  // at first, then from the last position it saw, after every reconnection. Publications
  // that arrive while it waits for the answer are kept, and applied after the ones the
  // answer brings, each once (see the wire contract in the README).
  function bind(ractive, binding, config) {
    if (binding.event === 'presence') return bindPresence(ractive, binding, config);
    var socket = socketFor(binding.namespace, config);
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
        var arrived = waiting;
        waiting = null;
        if (!answer || typeof answer.channel !== 'string') {
          return rejected(ractive, config, binding.subscribe, answer);
        }
        channel = answer.channel;
        answer.publications.concat(arrived).forEach(function (publication) {
          receive(publication[0], publication[1]);
        });
        if (!last || isNewer(answer.position, last)) last = answer.position;
        if (ractive.subscriptions.indexOf(channel) < 0) ractive.subscriptions.push(channel);
        mark(config.id, 'axf-ractive-disconnected', false);
        if (!answer.recovered) {
          mark(config.id, 'axf-ractive-stale', true);
          if (ractive.fire('recovery_failed', channel) !== false) window.location.reload();
          return;
        }
        ractive.fire('subscribed', channel, answer.position);
      }]));
    };
    socket.on('connect', recover);  // again after every reconnection
    if (socket.connected) recover();
  }

  // A presence binding keeps the list at its keypath equal to the channel's members. It
  // subscribes itself (a second subscription of the same connection is harmless), asks
  // ('presence', channel) once acknowledged and sets the list; then it adds the member of
  // each presence_join of the channel unless its id is there, and removes by id the member
  // of each presence_leave. Events that arrive while it waits for the list are applied
  // after it, in order (replaying one the list already reflects changes nothing). After
  // every reconnection it subscribes and asks again: members came and went meanwhile.
  function bindPresence(ractive, binding, config) {
    var socket = socketFor(binding.namespace, config);
    var channel = null, waiting = null;
    function change(event, member) {
      var list = ractive.get(binding.keypath) || [];
      var others = list.filter(function (item) { return !(item && item.id === member.id); });
      if (event === 'presence_leave' && others.length < list.length) {
        ractive.set(binding.keypath, others);
      } else if (event === 'presence_join' && others.length === list.length) {
        ractive.set(binding.keypath, list.concat([member]));
      }
    }
    ['presence_join', 'presence_leave'].forEach(function (event) {
      socket.on(event, function (member, from) {
        if (from !== channel || !member) return;
        if (waiting) waiting.push([event, member]);
        else change(event, member);
      });
    });
    function ask() {
      socket.emit('presence', channel, function (members) {
        var arrived = waiting;
        waiting = null;
        if (!Array.isArray(members)) {
          return rejected(ractive, config, ['presence', channel], members);
        }
        ractive.set(binding.keypath, members);
        arrived.forEach(function (pair) { change(pair[0], pair[1]); });
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

  function start(config) {
    var ractive = new window.Ractive({
      el: document.getElementById(config.el),
      template: config.template,
      data: config.data,
      enhance: true,
      adapt: [redrawingArrays]
    });
    if (config.namespace) {
      var socket = socketFor(config.namespace, config);
      ractive.send = function () { socket.emit.apply(socket, arguments); };
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
