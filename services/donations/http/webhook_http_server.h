// The donations HTTP port (civetweb):
//   POST /webhooks/<provider>   a processor's webhook delivery, answered with
//       200 {"result":"recorded|duplicate|parked|stored_for_review","event_id":"..."}
//       400 {"error":"..."} bad signature, stale timestamp, malformed body or a refused
//           rule (processors retry non-2xx; nothing is recorded)
//       404 unknown provider, 405 not POST, 413 body too large,
//       503 database unavailable (safe to retry)
//   GET /                       the transparency page (plain HTML, no JavaScript)
//   GET /ledger.csv, /ledger.json  the public ledger export (ServeLedger)
// The page and the export are answered from a PageCache (core/page_cache.h) with
// "Cache-Control: public, max-age=<the cache's ttl>" and a strong ETag; a request whose
// If-None-Match matches is answered 304 without a body.
// With HttpServerOptions::static_dir, files under it are served by civetweb at /<name>
// (e.g. a stylesheet or logo for the page; no directory listings).
// Anything else is 404.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/logging.h"
#include "services/donations/core/page_cache.h"
#include "services/donations/core/public_ledger.h"
#include "services/donations/core/intake.h"

struct mg_context;
struct mg_connection;

namespace freehold::donations {

struct HttpServerOptions {
  std::string listen = "127.0.0.1:0";  // "host:port", "[::1]:port"; port 0 picks one
  int threads = 16;
  std::string static_dir;  // optional document root for static files
};

class WebhookHttpServer {
 public:
  // Starts serving. UNAVAILABLE if the address cannot be bound, INVALID_ARGUMENT if it
  // is malformed. `intake` and `page` (the transparency page; its errors become 503)
  // must outlive the server.
  static absl::StatusOr<std::unique_ptr<WebhookHttpServer>> Start(const HttpServerOptions& options,
                                                                  const WebhookIntake& intake,
                                                                  PageCache& page, Logger log);
  ~WebhookHttpServer();  // stops (waits for requests in flight)
  WebhookHttpServer(const WebhookHttpServer&) = delete;
  WebhookHttpServer& operator=(const WebhookHttpServer&) = delete;

  // Serves the public ledger export (core/public_ledger.h): GET/HEAD /ledger.csv
  // (text/csv) and /ledger.json from these caches; errors become 503. Call once, right
  // after Start; the caches must outlive the server.
  void ServeLedger(PageCache& csv, PageCache& json);

  int port() const { return port_; }
  // "host:port" with the bound port.
  std::string address() const { return address_; }

 private:
  WebhookHttpServer(const WebhookIntake& intake, PageCache& page, Logger log);
  static int HandleWebhook(mg_connection* conn, void* self);
  static int HandleRoot(mg_connection* conn, void* self);
  static int HandleLedger(mg_connection* conn, void* self);

  const WebhookIntake& intake_;
  PageCache& page_;
  PageCache* ledger_csv_ = nullptr;
  PageCache* ledger_json_ = nullptr;
  Logger log_;
  mg_context* ctx_ = nullptr;
  int port_ = 0;
  std::string address_;
};

}  // namespace freehold::donations
