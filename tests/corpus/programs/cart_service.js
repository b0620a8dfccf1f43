// cart-service: Node with a plain-text logger; errors printed with util.inspect,
// as console.error does (stack, [cause], and the error's own properties).
// Usage: node cart_service.js PLAN MANIFEST
'use strict';
const util = require('node:util');
const { manifest, write, blackhole, closedPort, run } = require('./corpus_support');

const out = manifest(process.argv[3]);

function log(level, message, err, label) {
  let text = `${new Date().toISOString()} ${level} [cart-service] ${message}`;
  if (err) text += '\n' + util.inspect(err);
  write(text);
  out.entry(text, level === 'ERROR', label);
}

class CartError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'CartError';
  }
}

function lineTotal(quantity) {
  return new Array(quantity).fill(0);
}

async function main() {
  const hole = await blackhole();
  const holePort = hole.address().port;
  await run(process.argv[2], {
    info: async (a) => log('INFO', a.text),
    warn: async (a) => log('WARN', a.text),
    refused: async (a) => {
      try {
        await fetch(`http://127.0.0.1:${await closedPort()}/inventory/${a.sku}`);
      } catch (err) {
        log('ERROR', `reserving ${a.sku} for cart ${a.cart} failed`, err, 'refused');
      }
    },
    timeout: async (a) => {
      try {
        await fetch(`http://127.0.0.1:${holePort}/prices/${a.sku}`, { signal: AbortSignal.timeout(50) });
      } catch (err) {
        log('ERROR', `price lookup for ${a.sku} timed out`, err, 'timeout');
      }
    },
    json: async (a) => {
      try {
        JSON.parse(a.body);
      } catch (err) {
        log('ERROR', `cannot parse cart ${a.cart} from session store`, err, 'json');
      }
    },
    property: async (a) => {
      try {
        const items = {};
        const total = items[a.sku].price * a.quantity;
        log('INFO', `total ${total}`);
      } catch (err) {
        log('ERROR', `pricing cart ${a.cart}`, err, 'property');
      }
    },
    cause: async (a) => {
      try {
        try {
          lineTotal(-a.quantity);
        } catch (err) {
          throw new CartError(`checkout of cart ${a.cart} failed`, { cause: err });
        }
      } catch (err) {
        log('ERROR', `POST /carts/${a.cart}/checkout 500`, err, 'cause');
      }
    },
    generic: async (a) => {
      try {
        throw new Error(`coupon ${a.coupon} expired on ${a.date}`);
      } catch (err) {
        log('ERROR', `applying coupon to cart ${a.cart}`, err, 'generic');
      }
    },
    untyped: async (a) => log(
      'ERROR',
      `inventory reservation rejected for cart ${a.cart} (qty=${a.quantity}, user=${a.user})`,
      null,
      'untyped',
    ),
  });
  hole.close();
}

main();
