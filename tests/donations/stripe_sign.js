// Signs a webhook payload with Stripe's own Node library, exactly as Stripe's test
// helpers do: node stripe_sign.js <node_modules dir> <payload file> <secret> <timestamp>
// Prints the Stripe-Signature header value. No network access (no API call is made).
'use strict';
const fs = require('fs');
const path = require('path');
const [modules, payloadFile, secret, timestamp] = process.argv.slice(2);
const Stripe = require(path.join(modules, 'stripe'));
const stripe = Stripe('sk_test_freehold_offline');
const payload = fs.readFileSync(payloadFile, 'utf8');
process.stdout.write(stripe.webhooks.generateTestHeaderString({
  payload, secret, timestamp: Number(timestamp),
}));
