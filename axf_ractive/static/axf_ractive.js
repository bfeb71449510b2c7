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
  // A server-addressed change (see applyUpdate) is applied once per arrival,
  // however many widgets subscribe to the channel it came on.
  function socketFor(namespace, config) {
    var key = config.path + ' ' + namespace;
    if (!sockets[key]) {
      sockets[key] = window.io(namespace, { path: config.path });
      sockets[key].on('ractive', applyUpdate);
      sockets[key].on(config.publication_event, applyUpdate);
    }
    return sockets[key];
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
    var element = document.getElementById(config.id);
    if (element) element.classList.add('axf-ractive-rejected');
    ractive.fire('subscription_rejected', subscribe, answer && answer.error);
  }

  function bind(ractive, binding, config) {
    var socket = socketFor(binding.namespace, config);
    if (binding.event !== 'publication') {
      socket.on(binding.event, function (value) {
        apply(ractive, binding.op, binding.keypath, value, binding.key);
      });
      return;
    }
    var channel = null;
    socket.on(config.publication_event, function (data, from) {
      if (from === channel && !(data && data.ractive)) {
        apply(ractive, binding.op, binding.keypath, data, binding.key);
      }
    });
    var subscribe = function () {
      socket.emit.apply(socket, ['subscribe'].concat(binding.subscribe, [function (answer) {
        if (typeof answer !== 'string') return rejected(ractive, config, binding.subscribe, answer);
        channel = answer;
        if (ractive.subscriptions.indexOf(answer) < 0) ractive.subscriptions.push(answer);
        ractive.fire('subscribed', answer);
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
