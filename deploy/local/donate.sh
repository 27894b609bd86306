#!/usr/bin/env bash
# Posts a test donation to the local cluster's Stripe webhook, signed exactly
# as Stripe signs (Stripe-Signature: t=<unix>,v1=<HMAC-SHA256(secret, t.body)>),
# with the secret up.sh generated. Prints the service's answer.
#
#   ./deploy/local/donate.sh AMOUNT_MINOR [CURRENCY]     e.g. 2500 eur = EUR 25.00
#
# FREEHOLD_LOCAL_RUN_DIR as for up.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN="${FREEHOLD_LOCAL_RUN_DIR:-.run}"
[[ -f "$RUN/env" ]] || { echo "donate.sh: no local cluster ($RUN/env missing); run ./deploy/local/up.sh" >&2; exit 1; }
source "$RUN/env"
AMOUNT=${1:?usage: donate.sh AMOUNT_MINOR [CURRENCY]}
CURRENCY=${2:-eur}
[[ "$AMOUNT" =~ ^[1-9][0-9]{0,11}$ ]] || { echo "donate.sh: AMOUNT_MINOR must be a positive whole number of minor units" >&2; exit 2; }
[[ "$CURRENCY" =~ ^[a-zA-Z]{3}$ ]] || { echo "donate.sh: CURRENCY must be an ISO 4217 code such as eur" >&2; exit 2; }
CURRENCY=${CURRENCY,,}
NOW=$(date +%s)
ID="$(date +%s%N)$RANDOM"
BODY=$(cat <<JSON
{"id":"evt_local$ID","object":"event","api_version":"2024-06-20","created":$NOW,"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"payment_intent.succeeded","data":{"object":{"id":"pi_local$ID","object":"payment_intent","amount":$AMOUNT,"amount_received":$AMOUNT,"capture_method":"automatic","created":$NOW,"currency":"$CURRENCY","customer":null,"description":"Test donation to Freehold","invoice":null,"latest_charge":"ch_local$ID","livemode":false,"metadata":{},"payment_method_types":["card"],"receipt_email":null,"status":"succeeded"}}}
JSON
)
SIG=$(printf '%s.%s' "$NOW" "$BODY" | openssl dgst -sha256 -hmac "$FREEHOLD_STRIPE_WEBHOOK_SECRET" -r | cut -d' ' -f1)
# The endpoint is HTTPS with the cluster's private CA (FREEHOLD_CA_FILE from .run/env;
# FREEHOLD_HTTPS_CA_FILE in a plaintext benchmark cluster, whose gRPC links have no TLS).
CA_FILE=${FREEHOLD_HTTPS_CA_FILE:-${FREEHOLD_CA_FILE:-}}
curl -sS --fail-with-body ${CA_FILE:+--cacert "$CA_FILE"} -X POST "$FREEHOLD_DONATIONS_HTTP/webhooks/stripe" \
  -H 'Content-Type: application/json' -H "Stripe-Signature: t=$NOW,v1=$SIG" --data-binary "$BODY"
echo
