// Preloaded with `node --require ./resolve.cjs`: resolves the names listed in
// HOOKCAST_RESOLVE ("api.millicast.com=127.3.4.5,other=…") to those addresses,
// so Dolby's client, which only speaks to https://api.millicast.com:443, reaches
// the test's TLS front unchanged (same name, same SNI, same certificate check).
// Every other name resolves as usual.
'use strict';
const dns = require('node:dns');

const table = new Map(
  (process.env.HOOKCAST_RESOLVE || '')
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=').map((s) => s.trim().toLowerCase())),
);
const lookup = dns.lookup;

dns.lookup = function (hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  } else if (typeof options === 'number') {
    options = { family: options };
  }
  const address = table.get(String(hostname).toLowerCase());
  if (!address) {
    return lookup.call(this, hostname, options, callback);
  }
  const family = address.includes(':') ? 6 : 4;
  process.nextTick(() => {
    if (options && options.all) {
      callback(null, [{ address, family }]);
    } else {
      callback(null, address, family);
    }
  });
  return {};
};
