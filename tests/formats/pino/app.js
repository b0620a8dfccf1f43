// pino at its defaults (JSON lines to stdout, the standard err serializer) with a name;
// the charging code logs through a child logger. Errors are logged the way pino's docs
// show: logger.error(err) (the err serializer puts the error under "err").
'use strict';

const net = require('node:net');
const pino = require('pino');

const logger = pino({ name: 'payment-service' });
const charges = logger.child({ module: 'charges' });

// pino's default destination buffers and writes to stdout asynchronously: markers go
// through that same destination, so they land exactly between the lines they bracket.
const destination = logger[pino.symbols.streamSym];
function marker(verb, fields) {
  destination.write(`@@logship@@ ${verb}${fields ? ' ' + JSON.stringify(fields) : ''}\n`);
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

async function main() {
  marker('meta', {
    framework: 'pino',
    version: require('pino/package.json').version,
    language: 'javascript',
    configuration: "pino({name: 'payment-service'}) at its defaults, a child({module: 'charges'}); logger.error(err) and logger.error(msg)",
  });
  const gateway = await listen((socket) => socket.end());
  const closed = await listen();
  const closedPort = closed.address().port;
  await new Promise((resolve) => closed.close(resolve)); // nothing listens there now
  const gatewayPort = gateway.address().port;

  logger.info('payment service listening on port %d', 8080);
  charges.info({ orderId: 4411, user: 'alice' }, 'charging order');
  charges.warn('gateway latency %dms above %dms budget', 912, 500);

  const untyped = { error: true, group: 'untyped', types: [], logger: 'payment-service', level_marks_error: true };
  marker('begin', { id: 'untyped-1', ...untyped });
  charges.error('card declined for user alice (order 4411, amount 12.50 EUR, trace 4bf92f3577b34da6a3ce929d0e0e4736)');
  marker('begin', { id: 'untyped-2', ...untyped });
  charges.error('card declined for user bob.smith (order 98127, amount 310.00 EUR, trace 0af7651916cd43dd8448eb211c80319c)');
  marker('end');

  // The err serializer appends each cause's stack ("caused by: ...") and message.
  const traced = { error: true, logger: 'payment-service', level_marks_error: true };
  for (const [id, group, types, orderId, port, reply] of [
    ['refused-1', 'trace-refused', ['Error', 'Error'], 1001, closedPort, '{}'],
    ['refused-2', 'trace-refused', ['Error', 'Error'], 2002, closedPort, '{}'],
    ['json-1', 'trace-json', ['Error', 'SyntaxError'], 3003, gatewayPort, '<html>502 Bad Gateway</html>'],
  ]) {
    try {
      await chargeOrder(orderId, port, reply);
    } catch (err) {
      marker('begin', { id, group, types, ...traced });
      charges.error(err);
      marker('end');
    }
  }

  logger.info('payment service stopping');
  gateway.close();
}

main();
