// The reference: the node socket.io 4.8 server (npm, installed in public/ by `make assets`)
// with the same handlers and wire protocol as the examples and the python-socketio baseline.
// Usage: node bench/node_server.js --port N [--backend memory://]; one process, memory only.
'use strict';
const path = require('path');
const http = require('http');
const crypto = require('crypto');
const { Server } = require(path.join(__dirname, '..', 'public', 'node_modules', 'socket.io'));

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf('--' + name);
  return at === -1 ? fallback : args[at + 1];
};
if (option('backend', 'memory://') !== 'memory://') {
  console.error('the node reference server runs on one process only (memory://)');
  process.exit(2);
}

const httpServer = http.createServer((request, response) => {
  response.writeHead(404).end();
});
const io = new Server(httpServer, { path: '/socketio', serveClient: false });

io.of('/pingpong').on('connection', (socket) => {
  socket.on('ping', (attack) => {
    const fireball = attack && attack.type === 'fireball';
    for (let i = 0; i < (fireball ? 10 : 1); i++) {
      socket.emit('pong', { sound: fireball ? 'bang!' : 'pong' });
    }
  });
});

const chat = io.of('/chat');
chat.on('connection', (socket) => {
  socket.data.uid = crypto.randomBytes(4).toString('hex');
  socket.on('subscribe', (name, roomId, ack) => {
    socket.data.room = 'room-' + roomId;
    socket.emit('userid', socket.data.uid);
    socket.join(socket.data.room);
    if (typeof ack === 'function') ack(socket.data.room);
  });
  socket.on('user_message', (text) => {
    chat.to(socket.data.room).emit('publication',
      { uid: socket.data.uid, message: String(text).slice(0, 500) }, socket.data.room);
  });
});

httpServer.listen(Number(option('port')), '127.0.0.1');
