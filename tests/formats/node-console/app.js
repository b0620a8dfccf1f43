// No logging library: console.log / console.warn / console.error, as many small services
// do. Nothing prints a level or a logger name. Errors are logged with console.error(err),
// which prints util.inspect(err): the stack, the error's own properties and its
// [cause], nested. The program ends with an uncaught TypeError thrown from a timer, which
// node prints (source line, caret, error, "Node.js v20...") as it dies.
'use strict';

const net = require('node:net');

// console.log writes to stdout and console.error to stderr, both synchronous on a pipe:
// a marker written to stdout lands between the right lines of the merged stream.
function marker(verb, fields) {
  process.stdout.write(`@@logship@@ ${verb}${fields ? ' ' + JSON.stringify(fields) : ''}\n`);
}

async function listen(onConnection) {
  const server = net.createServer(onConnection);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function connectGateway(port) {
  await new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(resolve));
    socket.on('error', reject);
  });
}

async function chargeOrder(orderId, port, reply) {
  try {
    await connectGateway(port);
    return JSON.parse(reply);
  } catch (err) {
    throw new Error(`payment failed for order ${orderId}`, { cause: err });
  }
}

// Called with an order that has no payment: a TypeError.
function settle(order) {
  return order.payment.amount * 100;
}

async function main() {
  marker('meta', {
    framework: 'console',
    version: process.version,
    language: 'javascript',
    configuration: 'no library: console.log, console.warn, console.error(message) and console.error(err); an uncaught exception at the end',
  });
  const gateway = await listen((socket) => socket.end());
  const closed = await listen();
  const closedPort = closed.address().port;
  await new Promise((resolve) => closed.close(resolve)); // nothing listens there now
  const gatewayPort = gateway.address().port;

  console.log('payment service listening on port 8080');
  console.log('charging order 4411 for user alice');
  console.warn('gateway latency 912ms above 500ms budget');

  const untyped = { error: true, group: 'untyped', types: [], logger: null, level_marks_error: false };
  marker('begin', { id: 'untyped-1', ...untyped });
  console.error('card declined for user alice (order 4411, amount 12.50 EUR, trace 4bf92f3577b34da6a3ce929d0e0e4736)');
  marker('begin', { id: 'untyped-2', ...untyped });
  console.error('card declined for user bob.smith (order 98127, amount 310.00 EUR, trace 0af7651916cd43dd8448eb211c80319c)');
  marker('end');

  const traced = { error: true, logger: null, level_marks_error: false };
  for (const [id, group, types, orderId, port, reply] of [
    ['refused-1', 'trace-refused', ['Error', 'Error'], 1001, closedPort, '{}'],
    ['refused-2', 'trace-refused', ['Error', 'Error'], 2002, closedPort, '{}'],
    ['json-1', 'trace-json', ['Error', 'SyntaxError'], 3003, gatewayPort, '<html>502 Bad Gateway</html>'],
  ]) {
    try {
      await chargeOrder(orderId, port, reply);
    } catch (err) {
      marker('begin', { id, group, types, ...traced });
      console.error(err);
      marker('end');
    }
  }

  console.log('settling batch 7731');
  gateway.close();
  marker('begin', { id: 'untyped-before-crash', error: true, group: 'untyped-settle', types: [], logger: null, level_marks_error: false });
  console.error('settlement of order 5150 for user carol has no payment');
  setTimeout(() => {
    // Runs to the end of the output: node prints the crash to stderr as it dies.
    marker('begin', { id: 'crash', error: true, group: 'crash', types: ['TypeError'], logger: null, level_marks_error: false });
    settle({ id: 5150 });
  }, 0);
}

main();
