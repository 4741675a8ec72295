import { createServer, type ServerResponse } from 'node:http';

/**
 * The fan-out bench's floor: a bare node:http server, no GraphQL, no pub/sub — what sending
 * one event to every open SSE response costs on this machine. Each POST opens a stream (the
 * same headers and opening event shape as quantql's), and `POST /fire` sends every stream the
 * terminal event, stamped now, then `complete`, then ends it: the work a server cannot avoid.
 * Run as its own process by bench/fanout.bench.ts; prints `listening <port>`.
 */
const streams: ServerResponse[] = [];
const server = createServer((req, res) => {
  req.resume();
  if (req.url === '/fire') {
    res.end('fired\n');
    const event = `event: next\ndata: ${JSON.stringify({ data: { backtestProgress: { status: 'COMPLETED', at: new Date().toISOString() } } })}\n\n`;
    for (const stream of streams.splice(0)) {
      stream.write(event);
      stream.end('event: complete\ndata:\n\n');
    }
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'keep-alive', 'cache-control': 'no-cache' });
  res.write(':\n\n');
  res.write(`event: next\ndata: ${JSON.stringify({ data: { backtestProgress: { status: 'QUEUED', at: new Date().toISOString() } } })}\n\n`);
  streams.push(res);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : ''}`);
});
process.on('SIGTERM', () => process.exit(0));
