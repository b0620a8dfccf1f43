// winston with the configuration of winston's README ("Usage"): timestamp, errors with
// stacks, splat, json, a service name in defaultMeta, one Console transport (stdout).
// Errors are logged the way the docs show: logger.error(err).
'use strict';

const net = require('node:net');
const winston = require('winston');
const { combine, timestamp, errors, splat, json } = winston.format;

const transport = new winston.transports.Console();
const logger = winston.createLogger({
  level: 'info',
  format: combine(timestamp(), errors({ stack: true }), splat(), json()),
  defaultMeta: { service: 'payment-service' },
  transports: [transport],
});

// The Console transport writes on a later tick and emits 'logged' once it has written:
// a marker is printed only after that, so it lands between the right lines.
function log(level, ...args) {
  return new Promise((resolve) => {
    transport.once('logged', resolve);
    logger.log(level, ...args);
  });
}

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
    framework: 'winston',
    version: require('winston/package.json').version,
    language: 'javascript',
    configuration: "createLogger({format: combine(timestamp(), errors({stack: true}), splat(), json()), defaultMeta: {service: 'payment-service'}, transports: [Console]}) as winston's README shows; logger.error(err)",
  });
  const gateway = await listen((socket) => socket.end());
  const closed = await listen();
  const closedPort = closed.address().port;
  await new Promise((resolve) => closed.close(resolve)); // nothing listens there now
  const gatewayPort = gateway.address().port;

  await log('info', 'payment service listening on port %d', 8080);
  await log('info', 'charging order %d for user %s', 4411, 'alice');
  await log('warn', 'gateway latency %dms above %dms budget', 912, 500);

  const untyped = { error: true, group: 'untyped', types: [], logger: 'payment-service', level_marks_error: true };
  marker('begin', { id: 'untyped-1', ...untyped });
  await log('error', 'card declined for user alice (order 4411, amount 12.50 EUR, trace 4bf92f3577b34da6a3ce929d0e0e4736)');
  marker('begin', { id: 'untyped-2', ...untyped });
  await log('error', 'card declined for user bob.smith (order 98127, amount 310.00 EUR, trace 0af7651916cd43dd8448eb211c80319c)');
  marker('end');

  // errors({stack: true}) copies err.stack, not err.cause: the root cause is not printed.
  const traced = { error: true, types: ['Error'], logger: 'payment-service', level_marks_error: true };
  for (const [id, group, orderId, port, reply] of [
    ['refused-1', 'trace-refused', 1001, closedPort, '{}'],
    ['refused-2', 'trace-refused', 2002, closedPort, '{}'],
    ['json-1', 'trace-json', 3003, gatewayPort, '<html>502 Bad Gateway</html>'],
  ]) {
    try {
      await chargeOrder(orderId, port, reply);
    } catch (err) {
      marker('begin', { id, group, ...traced, root_cause_printed: false });
      await log('error', err);
      marker('end');
    }
  }

  await log('info', 'payment service stopping');
  gateway.close();
}

main();
