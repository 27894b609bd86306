// civetweb HTTP front of the donations service (see webhook_http_server.h).
#include "services/donations/http/webhook_http_server.h"

#include <civetweb.h>

#include <algorithm>
#include <cstring>
#include <vector>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace freehold::donations {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

// Writes the whole response with one write: separate small writes for headers and
// body would meet Nagle's algorithm and the client's delayed ACK (~40 ms each).
void Respond(mg_connection* conn, int status, absl::string_view content_type,
             absl::string_view body, bool head_only = false, absl::string_view extra_headers = "") {
  std::string out = absl::StrCat(
      "HTTP/1.1 ", status, " ", Reason(status), "\r\nContent-Type: ", content_type,
      "\r\nContent-Length: ", body.size(),
      "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n", extra_headers, "\r\n");
  if (!head_only) out.append(body.data(), body.size());
  mg_write(conn, out.data(), out.size());
}

void RespondJson(mg_connection* conn, int status, const nlohmann::json& body) {
  Respond(conn, status, "application/json", body.dump());
}

// Answers a cached public document: 304 when the request's If-None-Match matches its
// ETag, else 200 with the body (none for HEAD). One write, as Respond.
int RespondCached(mg_connection* conn, const CachedDocument& doc, absl::string_view content_type,
                  absl::Duration max_age, bool head) {
  const char* if_none_match = mg_get_header(conn, "If-None-Match");
  const bool not_modified = if_none_match != nullptr && IfNoneMatchMatches(if_none_match, doc.etag);
  const int status = not_modified ? 304 : 200;
  std::string out = absl::StrCat("HTTP/1.1 ", status, " ", Reason(status),
                                 "\r\nContent-Type: ", content_type);
  if (!not_modified) absl::StrAppend(&out, "\r\nContent-Length: ", doc.body.size());
  absl::StrAppend(&out, "\r\nCache-Control: public, max-age=",
                  absl::ToInt64Seconds(max_age), "\r\nETag: ", doc.etag,
                  "\r\nX-Content-Type-Options: nosniff\r\n\r\n");
  if (!not_modified && !head) out.append(doc.body);
  mg_write(conn, out.data(), out.size());
  return status;
}

int HttpStatusFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kFailedPrecondition:
      return 400;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
      return 503;
    default:
      return 500;
  }
}

// Splits "host:port" / "[v6]:port" and checks the port. INVALID_ARGUMENT otherwise.
absl::Status CheckListen(const std::string& listen, std::string* host) {
  size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535 || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http-listen: \"", listen, "\" is not host:port"));
  }
  *host = listen.substr(0, colon);
  return absl::OkStatus();
}

}  // namespace

WebhookHttpServer::WebhookHttpServer(const WebhookIntake& intake, PageCache& page, Logger log)
    : intake_(intake), page_(page), log_(std::move(log)) {}

absl::StatusOr<std::unique_ptr<WebhookHttpServer>> WebhookHttpServer::Start(
    const HttpServerOptions& options, const WebhookIntake& intake, PageCache& page, Logger log) {
  std::string host;
  if (absl::Status s = CheckListen(options.listen, &host); !s.ok()) return s;
  mg_init_library(0);
  std::unique_ptr<WebhookHttpServer> server(
      new WebhookHttpServer(intake, page, std::move(log)));
  const std::string threads = std::to_string(options.threads);
  std::vector<const char*> mg_options = {"listening_ports",
                                         options.listen.c_str(),
                                         "num_threads",
                                         threads.c_str(),
                                         "enable_keep_alive",
                                         "yes",
                                         "request_timeout_ms",
                                         "10000",
                                         "keep_alive_timeout_ms",
                                         "30000",
                                         "tcp_nodelay",
                                         "1",
                                         "enable_directory_listing",
                                         "no"};
  // Without a static directory civetweb serves no files (no document_root).
  if (!options.static_dir.empty()) {
    mg_options.push_back("document_root");
    mg_options.push_back(options.static_dir.c_str());
  }
  mg_options.push_back(nullptr);
  mg_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof(callbacks));
  server->ctx_ = mg_start(&callbacks, nullptr, mg_options.data());
  if (server->ctx_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("--http-listen: cannot serve HTTP on ", options.listen));
  }
  // No HTTP authentication on this port (webhooks carry signatures, the page is
  // public). Without an auth handler civetweb looks for a ".htpasswd" file on every
  // request: one failing stat() per webhook.
  mg_set_auth_handler(
      server->ctx_, "/", [](mg_connection*, void*) -> int { return 1; }, nullptr);
  mg_set_request_handler(server->ctx_, "/webhooks/", &WebhookHttpServer::HandleWebhook,
                         server.get());
  mg_set_request_handler(server->ctx_, "/$", &WebhookHttpServer::HandleRoot, server.get());
  mg_server_port ports[4];
  int n = mg_get_server_ports(server->ctx_, 4, ports);
  if (n < 1) return absl::UnavailableError("--http-listen: no listening port");
  server->port_ = ports[0].port;
  server->address_ = absl::StrCat(host, ":", server->port_);
  return server;
}

WebhookHttpServer::~WebhookHttpServer() {
  if (ctx_ != nullptr) mg_stop(ctx_);
}

int WebhookHttpServer::HandleWebhook(mg_connection* conn, void* cbdata) {
  auto* self = static_cast<WebhookHttpServer*>(cbdata);
  const mg_request_info* ri = mg_get_request_info(conn);
  if (std::strcmp(ri->request_method, "POST") != 0) {
    Respond(conn, 405, "text/plain", "", false, "Allow: POST\r\n");
    return 405;
  }
  absl::string_view uri = ri->local_uri != nullptr ? ri->local_uri : "";
  absl::string_view provider = uri.substr(std::strlen("/webhooks/"));
  if (provider.empty() || provider.find('/') != absl::string_view::npos) {
    RespondJson(conn, 404, {{"error", "no such webhook endpoint"}});
    return 404;
  }
  if (ri->content_length > static_cast<long long>(kMaxWebhookBodyBytes)) {
    RespondJson(conn, 413, {{"error", "body too large"}});
    return 413;
  }
  std::string body;
  if (ri->content_length > 0) body.reserve(static_cast<size_t>(ri->content_length));
  char buf[16384];
  while (true) {
    int got = mg_read(conn, buf, sizeof(buf));
    if (got <= 0) break;
    body.append(buf, static_cast<size_t>(got));
    if (body.size() > kMaxWebhookBodyBytes) {
      RespondJson(conn, 413, {{"error", "body too large"}});
      return 413;
    }
  }
  Headers headers;
  headers.reserve(static_cast<size_t>(ri->num_headers));
  for (int i = 0; i < ri->num_headers; ++i) {
    headers.emplace_back(ri->http_headers[i].name, ri->http_headers[i].value);
  }
  absl::StatusOr<IngestResponse> r = self->intake_.Ingest(provider, headers, body);
  if (!r.ok()) {
    const int status = HttpStatusFor(r.status());
    RespondJson(conn, status, {{"error", std::string(r.status().message())}});
    return status;
  }
  // The donor token is not echoed here: processors keep webhook responses in their logs.
  // Built by hand (the hot path): the outcome name is a fixed word; the event id is
  // JSON-escaped by nlohmann only if it holds a character that needs escaping.
  std::string answer = absl::StrCat("{\"event_id\":");
  const bool plain = std::all_of(r->event_id.begin(), r->event_id.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\' &&
           static_cast<unsigned char>(c) < 0x80;
  });
  if (plain) {
    absl::StrAppend(&answer, "\"", r->event_id, "\"");
  } else {
    absl::StrAppend(&answer, nlohmann::json(r->event_id).dump(-1, ' ', false,
                                                         nlohmann::json::error_handler_t::replace));
  }
  absl::StrAppend(&answer, ",\"result\":\"", IngestOutcomeName(r->outcome), "\"}");
  Respond(conn, 200, "application/json", answer);
  return 200;
}

void WebhookHttpServer::ServeLedger(PageCache& csv, PageCache& json) {
  ledger_csv_ = &csv;
  ledger_json_ = &json;
  mg_set_request_handler(ctx_, "/ledger.csv$", &WebhookHttpServer::HandleLedger, this);
  mg_set_request_handler(ctx_, "/ledger.json$", &WebhookHttpServer::HandleLedger, this);
}

int WebhookHttpServer::HandleLedger(mg_connection* conn, void* cbdata) {
  auto* self = static_cast<WebhookHttpServer*>(cbdata);
  const mg_request_info* ri = mg_get_request_info(conn);
  const bool head = std::strcmp(ri->request_method, "HEAD") == 0;
  if (!head && std::strcmp(ri->request_method, "GET") != 0) {
    Respond(conn, 405, "text/plain", "", false, "Allow: GET, HEAD\r\n");
    return 405;
  }
  const bool csv = absl::EndsWith(ri->local_uri != nullptr ? ri->local_uri : "", ".csv");
  PageCache& cache = csv ? *self->ledger_csv_ : *self->ledger_json_;
  absl::StatusOr<std::shared_ptr<const CachedDocument>> doc = cache.Get();
  if (!doc.ok()) {
    self->log_.Warn("ledger export unavailable", {{"error", doc.status()}});
    Respond(conn, 503, "text/plain; charset=utf-8", "The ledger export is unavailable right now.\n",
            head);
    return 503;
  }
  return RespondCached(conn, **doc, csv ? "text/csv; charset=utf-8" : "application/json",
                       cache.ttl(), head);
}

int WebhookHttpServer::HandleRoot(mg_connection* conn, void* cbdata) {
  auto* self = static_cast<WebhookHttpServer*>(cbdata);
  const mg_request_info* ri = mg_get_request_info(conn);
  const bool head = std::strcmp(ri->request_method, "HEAD") == 0;
  if (!head && std::strcmp(ri->request_method, "GET") != 0) {
    Respond(conn, 405, "text/plain", "", false, "Allow: GET, HEAD\r\n");
    return 405;
  }
  absl::StatusOr<std::shared_ptr<const CachedDocument>> page = self->page_.Get();
  if (!page.ok()) {
    self->log_.Warn("transparency page unavailable", {{"error", page.status()}});
    Respond(conn, 503, "text/plain; charset=utf-8", "The funding page is unavailable right now.\n",
            head);
    return 503;
  }
  return RespondCached(conn, **page, "text/html; charset=utf-8", self->page_.ttl(), head);
}

}  // namespace freehold::donations
