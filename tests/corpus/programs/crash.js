// A Node process that dies: an uncaught exception or an unhandled rejection,
// printed by the runtime itself to stderr, after three INFO lines on stdout.
// Usage: node crash.js KIND ID
'use strict';
const [, , kind, id] = process.argv;

const fs = require('node:fs');

// The task's last words before it dies, in cart-service's log layout.
for (const text of ['starting cart-service', 'connected to session store', 'listening on :8080']) {
  fs.writeSync(1, `${new Date().toISOString()} INFO [cart-service] ${text}\n`);
}

function splitTotal(total, parts) {
  return BigInt(total / parts);
}

if (kind === 'throw') {
  setTimeout(() => splitTotal(Number(id), 4), 1);
} else if (kind === 'reject') {
  Promise.reject(`inventory lock ${id} lost`);
}
