// Load generator for tgext.socketio benchmarks: speaks Engine.IO v4 / Socket.IO v5 over raw
// WebSockets (the `ws` package), so that it costs far less CPU than the servers it measures.
// Usage: node loadgen.js SCENARIO URL [options as key=value]; prints one JSON line.
'use strict';
const path = require('path');
const http = require('http');
const WebSocket = require(path.join(__dirname, '..', 'public', 'node_modules', 'ws'));

const [scenario, baseUrl, ...rest] = process.argv.slice(2);
const opts = Object.fromEntries(rest.map((kv) => kv.split('=')));
const num = (name, fallback) => (opts[name] === undefined ? fallback : Number(opts[name]));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// One Socket.IO connection to one namespace, with acks and an event callback.
class Connection {
  constructor(namespace, onEvent, base = baseUrl, headers = {}) {
    this.base = base;
    this.namespace = namespace;
    this.onEvent = onEvent;
    this.headers = headers;
    this.acks = new Map();
    this.nextAck = 0;
  }

  open() {
    const url = this.base.replace(/^http/, 'ws') + '/socketio/?EIO=4&transport=websocket';
    return new Promise((resolve, reject) => {
      const ws = this.ws = new WebSocket(url, { perMessageDeflate: false, headers: this.headers });
      ws.on('error', reject);
      ws.on('message', (raw) => {
        const text = raw.toString();
        if (text[0] === '0') return ws.send('40' + this.namespace + ',');
        if (text === '2') return ws.send('3');
        if (text[0] !== '4') return;
        const body = text.slice(text.indexOf(',', 2) + 1);
        if (text[1] === '0') return resolve(this);
        if (text[1] === '4') return reject(new Error('connect error ' + body));
        if (text[1] === '2') return this.onEvent && this.received(body);
        if (text[1] === '3') {
          const bracket = body.indexOf('[');
          const id = Number(body.slice(0, bracket));
          const callback = this.acks.get(id);
          this.acks.delete(id);
          if (callback) callback(JSON.parse(body.slice(bracket)));
        }
      });
    });
  }

  // An event: its name and arguments to onEvent (a connection that only counts events may
  // replace this, and parse nothing).
  received(body) {
    const [event, ...args] = JSON.parse(body);
    this.onEvent(event, args);
  }

  emit(event, ...args) {
    this.ws.send('42' + this.namespace + ',' + JSON.stringify([event, ...args]));
  }

  call(event, ...args) {
    const id = this.nextAck++;
    return new Promise((resolve) => {
      this.acks.set(id, resolve);
      this.ws.send('42' + this.namespace + ',' + id + JSON.stringify([event, ...args]));
    });
  }

  close() { this.ws.terminate(); }
}

// headersOf(i): the HTTP headers of the i-th connection's handshake.
async function openMany(count, namespace, onEvent, concurrency = 50, base = baseUrl,
                        headersOf = () => ({})) {
  const connections = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + concurrency); i++) {
      batch.push(new Connection(namespace, onEvent, base, headersOf(i)).open());
    }
    connections.push(...(await Promise.all(batch)));
  }
  return connections;
}

// One Server-Sent Events stream of room-1 (GET /events/room/1): resolves once subscribed.
class Stream {
  constructor(onEvent, base = baseUrl) {
    this.base = base;
    this.onEvent = onEvent;
  }

  open() {
    return new Promise((resolve, reject) => {
      this.request = http.get(this.base + '/events/room/1', { agent: false }, (res) => {
        if (res.statusCode !== 200) return reject(new Error('stream answered ' + res.statusCode));
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          buffered += chunk;
          let end;
          while ((end = buffered.indexOf('\n\n')) >= 0) {
            const fields = {};
            for (const line of buffered.slice(0, end).split('\n')) {
              const colon = line.indexOf(': ');
              if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 2);
            }
            buffered = buffered.slice(end + 2);
            if (fields.event === 'subscribed') resolve(this);
            else if (fields.event && this.onEvent) this.onEvent(fields.event, [JSON.parse(fields.data)]);
          }
        });
      });
      this.request.on('error', reject);
    });
  }

  close() { this.request.destroy(); }
}

async function openStreams(count, onEvent, concurrency = 50, base = baseUrl) {
  const streams = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + concurrency); i++) {
      batch.push(new Stream(onEvent, base).open());
    }
    streams.push(...(await Promise.all(batch)));
  }
  return streams;
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function latencySummary(samples) {
  const sorted = Float64Array.from(samples).sort();
  const histogram = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].map(
    (edge) => [edge, sorted.filter((x) => x <= edge).length / (sorted.length || 1)]);
  return { p50_ms: percentile(sorted, 0.5), p99_ms: percentile(sorted, 0.99), histogram };
}

// N subscribers (split over one or more servers), one publisher, M messages with a window.
// Subscribers are Socket.IO connections, or with sse=1 Server-Sent Events streams.
async function fanout() {
  const overSSE = num('sse', 0) === 1;
  const subscribers = num('subscribers', 200);
  const messages = num('messages', 50);
  const window = num('window', 5);
  const urls = (opts.subscribe_urls || baseUrl).split(',');
  const seen = new Map();
  const latencies = [];
  let deliveries = 0;
  let duplicates = 0;
  let lastDelivery = 0;
  const onEvent = (event, args) => {
    if (event !== 'publication') return;
    const [seq, sent] = String(args[0].message).split(':');
    const key = seq;
    deliveries++;
    lastDelivery = nowMs();
    latencies.push(lastDelivery - Number(sent));
    seen.set(key, (seen.get(key) || 0) + 1);
  };
  const connectStart = nowMs();
  const groups = [];
  for (let i = 0; i < urls.length; i++) {
    const share = Math.floor(subscribers / urls.length) + (i < subscribers % urls.length ? 1 : 0);
    groups.push(overSSE ? openStreams(share, onEvent, 50, urls[i])
                        : openMany(share, '/chat', onEvent, 50, urls[i]));
  }
  const subs = [].concat(...(await Promise.all(groups)));
  // Only publications are parsed: the load generator must not spend its CPU (which the
  // server shares) parsing other events, such as a presence channel's diffs of its members.
  subs.forEach((c) => {
    const parse = c.received;
    if (parse) c.received = (body) => body.startsWith('["publication"') && parse.call(c, body);
  });
  for (let start = 0; !overSSE && start < subs.length; start += 200) {
    await Promise.all(subs.slice(start, start + 200).map((c) => c.call('subscribe', 'room', '1')));
  }
  const connectSeconds = (nowMs() - connectStart) / 1000;
  let ownDeliveries = 0;
  let inFlight = 0;
  let wake = null;
  const publisher = await new Connection('/chat', (event) => {
    if (event === 'publication') { ownDeliveries++; inFlight--; if (wake) wake(); }
  }).open();
  await publisher.call('subscribe', 'room', '1');
  const cpuBefore = process.cpuUsage();
  const start = nowMs();
  for (let seq = 0; seq < messages; seq++) {
    while (inFlight >= window) await new Promise((resolve) => { wake = resolve; });
    inFlight++;
    publisher.emit('user_message', seq + ':' + nowMs());
  }
  const expected = subscribers * messages;
  const deadline = nowMs() + num('timeout', 60) * 1000;
  while (deliveries < expected && nowMs() < deadline) await sleep(5);
  await sleep(300);  // late duplicates
  const cpu = process.cpuUsage(cpuBefore);
  for (const count of seen.values()) if (count > subscribers) duplicates += count - subscribers;
  const elapsed = (lastDelivery - start) / 1000;
  subs.concat([publisher]).forEach((c) => c.close());
  return {
    subscribers, messages, deliveries, expected, lost: Math.max(0, expected - deliveries + duplicates),
    duplicates, deliveries_per_s: deliveries / elapsed, connect_seconds: connectSeconds,
    loadgen_cpu_s: (cpu.user + cpu.system) / 1e6, elapsed_s: elapsed, ...latencySummary(latencies),
  };
}

// N subscribers fill room-1, each a member of its own (the chat's uid cookie): the seconds from
// the first subscription until every one is subscribed and told. On a presence channel the
// publisher, subscribed first, waits until the presence_diff events have told it of every
// member, then publishes: a socket gets the room's events in order, so a publication that
// reached everyone comes after the last diff. On an ordinary channel it publishes once all are
// subscribed. Gives up after `timeout` seconds (fill_s null, `lost` not told).
async function presence() {
  const subscribers = num('subscribers', 1000);
  let reached = 0;
  let diffs = 0;
  const onEvent = (event) => {
    if (event === 'publication') reached++;
    else if (event === 'presence_diff') diffs++;
  };
  const uid = (i) => ({ Cookie: 'chat_uid=' + (i + 1).toString(16).padStart(8, '0') });
  const subs = await openMany(subscribers, '/chat', onEvent, 50, baseUrl, uid);
  // they count events by name: one node process parsing every member's copy of each diff
  // would be the bottleneck of the run
  subs.forEach((c) => { c.received = (body) => onEvent(body.slice(2, body.indexOf('"', 2))); });
  const members = new Set();
  const publisher = await new Connection('/chat', (event, args) => {
    onEvent(event);
    if (event !== 'presence_diff') return;
    args[0].joins.forEach((member) => members.add(member.id));
    args[0].leaves.forEach((member) => members.delete(member.id));
  }, baseUrl, uid(-1)).open();
  await publisher.call('subscribe', 'room', '1');
  const [stats] = await publisher.call('presence_stats', 'room-1');
  const isPresence = !stats.error;
  const deadline = nowMs() + num('timeout', 120) * 1000;
  const cpuBefore = process.cpuUsage();
  const start = nowMs();
  for (let first = 0; first < subs.length && nowMs() < deadline; first += 200) {
    await Promise.race([sleep(deadline - nowMs()), Promise.all(
      subs.slice(first, first + 200).map((c) => c.call('subscribe', 'room', '1')))]);
  }
  const subscribedSeconds = (nowMs() - start) / 1000;
  while (isPresence && members.size <= subscribers && nowMs() < deadline) await sleep(5);
  publisher.emit('user_message', 'filled');
  while (reached <= subscribers && nowMs() < deadline) await sleep(5);
  const filled = reached > subscribers ? (nowMs() - start) / 1000 : null;
  const cpu = process.cpuUsage(cpuBefore);
  subs.concat([publisher]).forEach((c) => c.close());
  return { subscribers, presence: isPresence, fill_s: filled, subscribed_s: subscribedSeconds,
    lost: subscribers + 1 - reached, presence_frames: diffs,
    loadgen_cpu_s: (cpu.user + cpu.system) / 1e6 };
}

// C clients, each: ping -> wait pong -> again, for S seconds.
async function roundtrip() {
  const clients = num('clients', 50);
  const seconds = num('seconds', 5);
  const latencies = [];
  let stop = false;
  const conns = await openMany(clients, '/pingpong', null);
  const cpuBefore = process.cpuUsage();
  const start = nowMs();
  await Promise.all(conns.map(async (conn) => {
    while (!stop) {
      const sent = nowMs();
      await new Promise((resolve) => {
        conn.onEvent = (event) => { if (event === 'pong') resolve(); };
        conn.emit('ping', { type: 'ping' });
      });
      latencies.push(nowMs() - sent);
      if (nowMs() - start > seconds * 1000) stop = true;
    }
  }));
  const elapsed = (nowMs() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  conns.forEach((c) => c.close());
  return { clients, round_trips: latencies.length, round_trips_per_s: latencies.length / elapsed,
    loadgen_cpu_s: (cpu.user + cpu.system) / 1e6, ...latencySummary(latencies) };
}

// K idle connections (sse=1: event streams) held until stdin closes; prints READY with the
// connect rate first.
async function idle() {
  const connections = num('connections', 1000);
  const start = nowMs();
  const conns = num('sse', 0) === 1 ? await openStreams(connections, null, 100)
                                    : await openMany(connections, '/pingpong', null, 100);
  const seconds = (nowMs() - start) / 1000;
  process.stdout.write(JSON.stringify({ ready: true, connections: conns.length,
    connects_per_s: conns.length / seconds }) + '\n');
  await new Promise((resolve) => process.stdin.on('end', resolve).resume());
  conns.forEach((c) => c.close());
  return null;
}

// HTTP GETs of one page with C keep-alive clients for S seconds.
async function page() {
  const concurrency = num('concurrency', 10);
  const seconds = num('seconds', 5);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const url = baseUrl + (opts.path || '/');
  let requests = 0;
  let failures = 0;
  const start = nowMs();
  const get = () => new Promise((resolve) => {
    http.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => { if (res.statusCode !== 200) failures++; resolve(); });
    }).on('error', () => { failures++; resolve(); });
  });
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (nowMs() - start < seconds * 1000) { await get(); requests++; }
  }));
  agent.destroy();
  return { requests, failures, requests_per_s: requests / ((nowMs() - start) / 1000) };
}

const scenarios = { fanout, roundtrip, idle, page, presence };
scenarios[scenario]().then((result) => {
  if (result) process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}, (error) => { console.error(error); process.exit(1); });
