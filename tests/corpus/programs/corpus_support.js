// Shared plumbing of the Node corpus programs: the plan, the manifest, the sockets.
// The manifest is a side channel (one JSON line per entry written to stdout:
// line count, error, scenario); the log text itself carries no markers.
'use strict';
const fs = require('node:fs');
const net = require('node:net');

function manifest(path) {
  const fd = fs.openSync(path, 'w');
  return {
    entry(text, error, label) {
      const lines = text.split('\n').length;
      fs.writeSync(fd, JSON.stringify({ lines, error, label: label ?? null }) + '\n');
    },
  };
}

// Writes synchronously so that stdout and the manifest stay in step.
function write(text) {
  fs.writeSync(1, text + '\n');
}

// A listener on 127.0.0.1 that accepts connections and never answers.
function blackhole() {
  return new Promise((resolve) => {
    const server = net.createServer(() => {});
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// A 127.0.0.1 port nothing listens on.
function closedPort() {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function run(planPath, handlers) {
  const plan = JSON.parse(fs.readFileSync(planPath, 'utf8'));
  for (const step of plan) {
    const handler = handlers[step.do];
    if (!handler) throw new Error(`unknown step ${step.do}`);
    await handler(step.args ?? {});
  }
}

module.exports = { manifest, write, blackhole, closedPort, run };
