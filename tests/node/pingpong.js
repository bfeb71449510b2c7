// The official node client plays pingpong: node pingpong.js URL TRANSPORTS
// TRANSPORTS is "websocket" or "polling,websocket" (polling then upgrade).
// Prints one JSON line: the transport in use at the end and the sounds heard.
const path = require('path');
const { io } = require(path.join(__dirname, '..', '..', 'public', 'node_modules', 'socket.io-client'));

const [url, transports] = process.argv.slice(2);
const socket = io(url + '/pingpong', { path: '/socketio', transports: transports.split(','), reconnection: false });
const sounds = [];
const fail = (why) => { console.log(JSON.stringify({ error: String(why) })); process.exit(1); };
setTimeout(() => fail('timeout'), 15000);
socket.on('connect_error', fail);
socket.on('pong', (data) => {
  sounds.push(data.sound);
  if (sounds.length === 11) {
    const finish = () => {
      console.log(JSON.stringify({ transport: socket.io.engine.transport.name, sounds }));
      socket.close();
      process.exit(0);
    };
    if (socket.io.engine.transport.name === transports.split(',').pop()) finish();
    else socket.io.engine.once('upgrade', finish);
  }
});
socket.on('connect', () => {
  socket.emit('ping', { type: 'ping' });
  socket.emit('ping', { type: 'fireball' });
});
