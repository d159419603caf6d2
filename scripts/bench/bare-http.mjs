// The physical limit for the poll benchmark: a bare node:http server answering a fixed
// 300-byte JSON document. Prints one ready line {url} on stdout.
import { createServer } from 'node:http';

const body = JSON.stringify({
  ok: true,
  data: {
    id: 'ck0mwr7iz3s0000r9no3q7w8fjq',
    status: 'RECEIVED',
    service: 'tg',
    country: '7',
    phone: '+60123456789',
    smsBody: 'Telegram code: 48213',
    smsCode: '48213',
    chargedCents: '32',
    pad: 'x'.repeat(93),
  },
});
if (Buffer.byteLength(body) !== 300) throw new Error(`the fixed body is ${Buffer.byteLength(body)} bytes, not 300`);
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': 300 });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
