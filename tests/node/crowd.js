// Many official clients at once, each group from its own local address:
//   node crowd.js URL NAMESPACE GROUPS SECONDS
// GROUPS (JSON): [{"address": "127.0.1.1", "transport": "websocket", "count": 50,
//                  "forge": true}, ...]; "forge": each client sends an X-Forwarded-For of its own.
// Opens them all, waits until each is connected or refused (at most SECONDS), then prints one
// JSON line, {"groups": [{"connected": n, "refused": n, "errors": {reason: n}}], "pending": n},
// and closes them.
const http = require('http');
const path = require('path');
const { io } = require(path.join(__dirname, '..', '..', 'public', 'node_modules', 'socket.io-client'));

const [url, namespace, groups, seconds] = process.argv.slice(2);
const results = [];
const sockets = [];
let pending = 0;

function finish() {
  console.log(JSON.stringify({ groups: results, pending }));
  sockets.forEach((socket) => socket.close());
  process.exit(0);
}
const deadline = setTimeout(finish, Number(seconds) * 1000);

JSON.parse(groups).forEach((group, index) => {
  const result = results[index] = { connected: 0, refused: 0, errors: {} };
  const agent = new http.Agent({ localAddress: group.address, keepAlive: true });
  for (let i = 0; i < group.count; i++) {
    const options = { path: '/socketio', transports: [group.transport], reconnection: false,
                      forceNew: true, timeout: Number(seconds) * 1000 };
    if (group.transport === 'polling') options.agent = agent;
    else options.localAddress = group.address;
    if (group.forge) options.extraHeaders = { 'X-Forwarded-For': '10.66.' + (i >> 8) + '.' + (i & 255) };
    const socket = io(url + namespace, options);
    sockets.push(socket);
    pending++;
    let settled = false;
    const settle = (outcome, reason) => {
      if (settled) return;
      settled = true;
      result[outcome]++;
      if (reason) result.errors[reason] = (result.errors[reason] || 0) + 1;
      if (--pending === 0) { clearTimeout(deadline); finish(); }
    };
    socket.on('connect', () => settle('connected'));
    socket.on('connect_error', (error) => {
      const context = error.context && (error.context.status || error.context.statusCode);
      settle('refused', String(error.message) + (context ? ' ' + context : ''));
    });
  }
});
