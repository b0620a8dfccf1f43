// bunyan at its defaults (JSON lines to stdout, "v": 0) with a name; the charging code
// logs through a child logger. Errors are logged the way bunyan's docs show:
// log.error(err) (bunyan puts the error under "err" through its standard serializer).
'use strict';

const net = require('node:net');
const bunyan = require('bunyan');

const logger = bunyan.createLogger({ name: 'payment-service' });
const charges = logger.child({ module: 'charges' });

// bunyan writes each record with process.stdout.write, synchronous on a pipe.
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

async function main() {
  marker('meta', {
    framework: 'bunyan',
    version: require('bunyan/package.json').version,
    language: 'javascript',
    configuration: "bunyan.createLogger({name: 'payment-service'}) at its defaults, a child({module: 'charges'}); log.error(err) and log.error(msg)",
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

  // The err serializer follows only verror-style causes (err.cause() a function): the
  // standard { cause } property is not printed, so the root cause is not either.
  const traced = { error: true, types: ['Error'], logger: 'payment-service', level_marks_error: true, root_cause_printed: false };
  for (const [id, group, orderId, port, reply] of [
    ['refused-1', 'trace-refused', 1001, closedPort, '{}'],
    ['refused-2', 'trace-refused', 2002, closedPort, '{}'],
    ['json-1', 'trace-json', 3003, gatewayPort, '<html>502 Bad Gateway</html>'],
  ]) {
    try {
      await chargeOrder(orderId, port, reply);
    } catch (err) {
      marker('begin', { id, group, ...traced });
      charges.error(err);
      marker('end');
    }
  }

  logger.info('payment service stopping');
  gateway.close();
}

main();
