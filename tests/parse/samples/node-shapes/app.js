// Node traces in the shapes log tools' test suites name, printed by node itself.
// node app.js SHAPE: a plain start-up line, then SHAPE (a printed stack, or a crash).
'use strict';
const fs = require('fs');

function marker(verb, fields) {
  process.stderr.write(`@@logship@@ ${verb}${fields ? ' ' + JSON.stringify(fields) : ''}\n`);
}

function begin(id, error, types, group = error ? id : null) {
  marker('begin', { id, error, group, types, logger: null, level_marks_error: false });
}

function plain(id, text) {
  begin(id, false, []);
  process.stderr.write(text + '\n');
}

// An express-like router: named, anonymous and aliased callbacks between the error and main.
const layer = {};
layer.handle_request = function handle(req, next) { next(req); };
function dispatch(req, done) {
  layer.handle_request(req, (r) => done(r));
}
function route(req) {
  return myArray.length + req.id; // eslint-disable-line no-undef
}

class Reservation {
  constructor(sku) {
    if (!sku) throw new Error();
    this.sku = sku;
  }
}

async function readStock(sku) {
  await new Promise((resolve) => setTimeout(resolve, 1));
  throw new RangeError(`stock of ${sku} is negative`);
}
async function reserve(sku) {
  return await readStock(sku);
}

const shape = process.argv[2];
plain(`plain-${shape}`, `worker ${shape} listening on :8080`);
if (shape === 'printed') {
  begin('reference-error', true, ['ReferenceError']);
  try {
    dispatch({ id: 7 }, route);
  } catch (err) {
    console.error(err.stack);
  }
  begin('error-no-message', true, ['Error']);
  try {
    new Reservation('');
  } catch (err) {
    console.error(err.stack);
  }
  begin('eval-frames', true, ['TypeError']);
  try {
    new Function('order', 'return order.total.amount;')({});
  } catch (err) {
    console.error(err.stack);
  }
  plain('plain-after', 'hello world, not multiline');
  begin('async-frames', true, ['RangeError'], 'stock-negative');
  reserve('sku-9').catch((err) => {
    console.error(err.stack);
    plain('plain-last', 'worker printed done');
  });
} else if (shape === 'rejection-value') {
  begin('rejection-value', true, ['UnhandledPromiseRejection']);
  Promise.reject('ledger unavailable');
} else if (shape === 'rejection-error') {
  begin('rejection-error', true, ['RangeError'], 'stock-negative');
  reserve('sku-3');
} else if (shape === 'system-error') {
  begin('system-error', true, ['Error']);
  fs.readFileSync('/nonexistent/orders.json');
} else if (shape === 'aggregate') {
  begin('aggregate', true, ['AggregateError']);
  Promise.any([reserve('sku-1'), reserve('sku-2')]);
}
