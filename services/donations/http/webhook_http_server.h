// The donations HTTP port (civetweb):
//   POST /webhooks/<provider>   a processor's webhook delivery, answered with
//       200 {"result":"recorded|duplicate|parked|stored_for_review","event_id":"..."}
//       400 {"error":"..."} bad signature, stale timestamp, malformed body or a refused
//           rule (processors retry non-2xx; nothing is recorded)
//       404 unknown provider, 405 not POST, 413 body too large,
//       503 database unavailable (safe to retry)
//   GET /                       the transparency page (plain HTML, no JavaScript)
// Anything else is 404.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/logging.h"
#include "services/donations/core/public_ledger.h"
#include "services/donations/core/intake.h"

struct mg_context;
struct mg_connection;

namespace freehold::donations {

struct HttpServerOptions {
  std::string listen = "127.0.0.1:0";  // "host:port", "[::1]:port"; port 0 picks one
  int threads = 16;
};

class WebhookHttpServer {
 public:
  // Renders the transparency page; errors become 503.
  using PageRenderer = std::function<absl::StatusOr<std::string>()>;

  // Starts serving. UNAVAILABLE if the address cannot be bound, INVALID_ARGUMENT if it
  // is malformed. `intake` and whatever `render_page` uses must outlive the server.
  static absl::StatusOr<std::unique_ptr<WebhookHttpServer>> Start(const HttpServerOptions& options,
                                                                  const WebhookIntake& intake,
                                                                  PageRenderer render_page,
                                                                  Logger log);
  ~WebhookHttpServer();  // stops (waits for requests in flight)
  WebhookHttpServer(const WebhookHttpServer&) = delete;
  WebhookHttpServer& operator=(const WebhookHttpServer&) = delete;

  // Serves the public ledger export (core/public_ledger.h): GET/HEAD /ledger.csv
  // (text/csv) and /ledger.json; errors become 503. Call once, right after Start.
  using LedgerRenderer = std::function<absl::StatusOr<std::string>(LedgerFormat)>;
  void ServeLedger(LedgerRenderer render);

  int port() const { return port_; }
  // "host:port" with the bound port.
  std::string address() const { return address_; }

 private:
  WebhookHttpServer(const WebhookIntake& intake, PageRenderer render_page, Logger log);
  static int HandleWebhook(mg_connection* conn, void* self);
  static int HandleRoot(mg_connection* conn, void* self);
  static int HandleLedger(mg_connection* conn, void* self);

  const WebhookIntake& intake_;
  PageRenderer render_page_;
  LedgerRenderer render_ledger_;
  Logger log_;
  mg_context* ctx_ = nullptr;
  int port_ = 0;
  std::string address_;
};

}  // namespace freehold::donations
