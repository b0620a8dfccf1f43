// notification-service: Node with pino-style JSON lines (level numbers, `err`
// serialized as {type, message, stack}, causes appended as "caused by:" the way
// pino-std-serializers' stackWithCauses does). pino itself is not installed
// here; the errors and their stacks are the runtime's own.
// Usage: node notification_service.js PLAN MANIFEST
'use strict';
const net = require('node:net');
const { manifest, write, closedPort, run } = require('./corpus_support');

const out = manifest(process.argv[3]);
const LEVELS = { info: 30, warn: 40, error: 50 };

function stackWithCauses(err) {
  let stack = err.stack;
  for (let cause = err.cause; cause instanceof Error; cause = cause.cause) {
    stack += '\ncaused by: ' + cause.stack;
  }
  return stack;
}

function log(level, msg, err, label, extra) {
  const line = {
    level: LEVELS[level],
    time: Date.now(),
    pid: process.pid,
    hostname: 'ip-10-0-1-17',
    service: 'notification-service',
    ...extra,
    msg,
  };
  if (err) line.err = { type: err.constructor.name, message: err.message, stack: stackWithCauses(err) };
  const text = JSON.stringify(line);
  write(text);
  out.entry(text, level === 'error', label);
}

class DeliveryError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

async function main() {
  await run(process.argv[2], {
    info: async (a) => log('info', a.text, null, null, { reqId: a.rid }),
    warn: async (a) => log('warn', a.text),
    smtp: async (a) => {
      try {
        try {
          await connect(await closedPort());
        } catch (err) {
          throw new DeliveryError(`mail to ${a.email} not sent`, { cause: err });
        }
      } catch (err) {
        log('error', 'delivery failed', err, 'smtp');
      }
    },
    template: async (a) => {
      try {
        const vars = {};
        log('info', vars.user.name);
      } catch (err) {
        log('error', `rendering template ${a.template} failed`, err, 'template');
      }
    },
    json: async (a) => {
      try {
        JSON.parse(a.body);
      } catch (err) {
        log('error', 'bad webhook payload', err, 'json');
      }
    },
    untyped: async (a) => log('error', `push token rejected for device ${a.device} after ${a.attempts} attempts`, null, 'untyped'),
  });
}

main();
