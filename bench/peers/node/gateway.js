// A minimal Node.js gateway with ws-gateway's protocol, as a comparison peer: HS256 JWT from
// ?token=, PSUBSCRIBE user_noti:* project:*:*, the same envelope checks for the benchmark's
// message types, one serialization per message shared by every socket of the user.
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');
const Redis = require('ioredis');
const jwt = require('jsonwebtoken');

const [host, port] = (process.env.WSGW_LISTEN || '127.0.0.1:8080').split(':');
const secret = process.env.WSGW_JWT_SECRET;
const redisUrl = process.env.WSGW_REDIS_URL || 'redis://127.0.0.1:6379/0';
if (!secret) { console.error('WSGW_JWT_SECRET is required'); process.exit(2); }

const sockets = new Map(); // user -> Set<{ws, project}>
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const TYPES = new Set(['notification', 'alert', 'update', 'project_progress', 'project_completed']);

const server = http.createServer((req, res) => {
  if (req.url === '/healthz' || req.url === '/readyz') { res.writeHead(200); res.end('{"status":"ok"}'); return; }
  res.writeHead(404); res.end();
});
const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://x');
  let user;
  try {
    user = jwt.verify(url.searchParams.get('token') || '', secret, { algorithms: ['HS256'] }).sub;
  } catch (e) { user = undefined; }
  if (typeof user !== 'string' || !ID.test(user) || url.pathname !== '/ws') {
    socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const project = url.searchParams.get('project_id') || '';
  wss.handleUpgrade(req, socket, head, (ws) => {
    const entry = { ws, project };
    if (!sockets.has(user)) sockets.set(user, new Set());
    sockets.get(user).add(entry);
    ws.on('message', (data, isBinary) => {
      if (isBinary) { ws.close(1003); return; }
      try {
        if (JSON.parse(data).type === 'ping') ws.send(JSON.stringify({ type: 'pong', timestamp: new Date().toISOString() }));
      } catch (e) { /* ignored */ }
    });
    ws.on('close', () => {
      const set = sockets.get(user);
      if (set) { set.delete(entry); if (set.size === 0) sockets.delete(user); }
    });
    ws.on('error', () => {});
  });
});

const sub = new Redis(redisUrl);
sub.psubscribe('user_noti:*', 'project:*:*');
sub.on('pmessageBuffer', (_pattern, channelBuf, messageBuf) => {
  const channel = channelBuf.toString();
  let user, project = '';
  const parts = channel.split(':');
  if (parts[0] === 'user_noti' && parts.length === 2) user = parts[1];
  else if (parts[0] === 'project' && parts.length === 3) { project = parts[1]; user = parts[2]; }
  if (!user || !ID.test(user) || (project && !ID.test(project))) return;
  const set = sockets.get(user);
  let msg;
  try { msg = JSON.parse(messageBuf); } catch (e) { return; }
  if (!msg || typeof msg !== 'object' || !TYPES.has(msg.type) || typeof msg.payload !== 'object' || msg.payload === null) return;
  if (!set) return;
  const frame = JSON.stringify({ type: msg.type, payload: msg.payload,
    timestamp: typeof msg.timestamp === 'string' ? msg.timestamp : new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') });
  for (const e of set) if (!project || !e.project || e.project === project) e.ws.send(frame);
});

server.listen(Number(port), host);
