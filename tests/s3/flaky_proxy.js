// A proxy in front of s3rver that fails the way stores and networks do, for
// the retry tests: FAIL_FIRST=N answers the first N requests with 503,
// CUT_GET=1 closes the connection half-way through the first GET body,
// DENY=1 answers every request 403 AccessDenied (refused credentials,
// which s3rver itself never checks). Usage: node flaky_proxy.js LISTEN_PORT TARGET_PORT
'use strict';
const http = require('http');
const [listenPort, targetPort] = process.argv.slice(2).map(Number);
let failFirst = Number(process.env.FAIL_FIRST || 0);
let cutGet = process.env.CUT_GET === '1';
const deny = process.env.DENY === '1';
let seen = 0;
http.createServer((req, res) => {
  seen++;
  if (deny) {
    res.writeHead(403, { 'Content-Type': 'application/xml' });
    res.end('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
    req.resume();
    return;
  }
  if (failFirst > 0) {
    failFirst--;
    res.writeHead(503, { 'Content-Type': 'application/xml' });
    res.end('<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
    req.resume();
    return;
  }
  const upstream = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      if (cutGet && req.method === 'GET' && !req.url.includes('list-type')) {
        cutGet = false;
        let sent = 0;
        const total = Number(answer.headers['content-length'] || 0);
        answer.on('data', (chunk) => {
          if (sent + chunk.length > total / 2) {
            res.write(chunk.slice(0, Math.max(0, Math.floor(total / 2) - sent)));
            res.socket.destroy();
            answer.destroy();
            return;
          }
          sent += chunk.length;
          res.write(chunk);
        });
        return;
      }
      answer.pipe(res);
    });
  upstream.on('error', () => { res.socket.destroy(); });
  req.pipe(upstream);
}).listen(listenPort, '127.0.0.1');
