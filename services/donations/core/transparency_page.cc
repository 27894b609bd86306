// Transparency page rendering (see transparency_page.h).
#include "services/donations/core/transparency_page.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "services/donations/core/currency.h"

namespace freehold::donations {
namespace {

int Percent(int64_t part, int64_t whole) {
  if (whole <= 0) return 0;
  double p = 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  return static_cast<int>(std::floor(std::max(0.0, p)));
}

std::string Bar(const std::string& id, int percent) {
  const int width = std::clamp(percent, 0, 100);
  return absl::StrFormat(
      "<div class=\"bar\" id=\"%s\" role=\"progressbar\" aria-valuemin=\"0\" "
      "aria-valuemax=\"100\" aria-valuenow=\"%d\"><div class=\"fill\" style=\"width:%d%%\">"
      "</div></div>",
      id, width, width);
}

std::string GiB(uint64_t bytes) {
  return absl::StrFormat("%.2f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
}

// Decimal units, as disks are sold: "3.20 TB", "500.00 GB", "12.58 MB".
std::string DiskBytes(uint64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1e12) return absl::StrFormat("%.2f TB", b / 1e12);
  if (b >= 1e9) return absl::StrFormat("%.2f GB", b / 1e9);
  return absl::StrFormat("%.2f MB", b / 1e6);
}

}  // namespace

std::string RenderAccountability(const AccountabilityFigures& f) {
  std::string html;
  if (f.abuse.has_value()) {
    const AbuseFigures& a = *f.abuse;
    absl::StrAppend(
        &html, "<section id=\"abuse\"><h2>Abuse reports</h2>\n",
        "<p>Files are encrypted on their owners' devices: nobody at Freehold can read them, "
        "and nothing is scanned. Anyone can report a public link; after review an operator "
        "can disable it (its owner is told). No report or request can reveal a file's "
        "content.</p>\n<ul>\n",
        "<li>Reports received: <strong id=\"abuse-reports\">", a.reports_received,
        "</strong></li>\n",
        "<li>Links disabled after a report: <strong id=\"links-disabled\">", a.links_disabled,
        "</strong></li>\n",
        "<li>Requests from authorities: <strong id=\"authority-requests\">",
        a.authority_requests, "</strong></li>\n</ul>\n</section>\n");
  }
  if (f.lifecycle.has_value()) {
    const LifecycleFigures& l = *f.lifecycle;
    absl::StrAppend(
        &html, "<section id=\"lifecycle\"><h2>Abandoned accounts</h2>\n",
        l.enabled ? "<p>Storage of accounts nobody uses is given back, after a warning.</p>\n"
                  : "<p>Abandoned accounts are kept: the lifecycle is off on this service.</p>\n",
        "<ul>\n",
        "<li>Accounts warned: <strong id=\"accounts-warned\">", l.warned_total,
        "</strong></li>\n",
        "<li>Accounts trashed: <strong id=\"accounts-trashed\">", l.trashed_total,
        "</strong></li>\n",
        "<li>Accounts collected (deleted): <strong id=\"accounts-collected\">",
        l.collected_total, "</strong></li>\n",
        "<li>Owners who came back: <strong id=\"accounts-renewed\">", l.renewed_total,
        "</strong></li>\n</ul>\n</section>\n");
  }
  return html;
}

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string RenderTransparencyPage(const TransparencyData& d) {
  auto money = [&](int64_t minor) {
    return absl::StrCat(FormatMinor(minor, d.base_digits), " ", HtmlEscape(d.base_currency));
  };
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>Freehold funding</title><style>"
      "body{font-family:sans-serif;max-width:42em;margin:2em auto;padding:0 1em;color:#222}"
      ".bar{background:#ddd;height:1.2em;border-radius:.3em;overflow:hidden}"
      ".fill{background:#2a7;height:100%}"
      "</style></head><body>\n<h1>Freehold funding</h1>\n"
      "<p>Freehold is free storage paid for by donations. This page shows, for ",
      HtmlEscape(d.month), " (UTC), what donors gave and what the storage costs.</p>\n",
      "<section id=\"month\"><h2>This month</h2>\n",
      "<p>Donations this month: <strong id=\"donations\">", money(d.this_month_net_base_minor),
      "</strong></p>\n");
  if (d.monthly_cost_base_minor.has_value()) {
    const int pct = Percent(d.this_month_net_base_minor, *d.monthly_cost_base_minor);
    absl::StrAppend(&html, "<p>Storage cost this month: <strong id=\"cost\">",
                    money(*d.monthly_cost_base_minor), "</strong></p>\n",
                    "<p id=\"coverage\">Donations cover ", pct, "% of this month's cost.</p>\n",
                    Bar("coverage-bar", pct), "\n");
    if (d.storage.has_value()) {
      const StorageFigures& s = *d.storage;
      absl::StrAppend(
          &html,
          "<p id=\"cost-source\">The cost is computed by the coordinator from its cost model "
          "and the storage actually provisioned (as of ",
          absl::FormatTime("%Y-%m-%d %H:%M UTC", s.as_of, absl::UTCTimeZone()), ").</p>\n",
          "<p id=\"capacity\">Storage funded: <strong>", GiB(s.funded_capacity_logical_bytes),
          "</strong>; in use: <strong>", GiB(s.logical_used_bytes), "</strong>.</p>\n");
      if (std::isfinite(s.runway_seconds) && s.runway_seconds >= 0) {
        absl::StrAppend(&html, "<p id=\"runway\">At this rate the reserve lasts ",
                        static_cast<int64_t>(s.runway_seconds / 86400), " more days.</p>\n");
      } else {
        absl::StrAppend(&html, "<p id=\"runway\">Donations cover the running cost.</p>\n");
      }
    } else {
      absl::StrAppend(&html,
                      "<p id=\"cost-source\">The cost is the figure the operator entered.</p>\n");
    }
  } else {
    absl::StrAppend(&html, "<p id=\"cost\">Storage cost this month: not published yet.</p>\n");
  }
  absl::StrAppend(&html, "<p>Recurring pledges bring <strong id=\"recurring\">",
                  money(d.monthly_recurring_base_minor), "</strong> per month.</p>\n</section>\n");
  if (d.storage.has_value()) {
    // In-kind donations: shown on their own line, never added to the money above.
    const StorageFigures& s = *d.storage;
    absl::StrAppend(
        &html, "<section id=\"donated-disks\"><h2>Donated disks</h2>\n",
        "<p id=\"donated\">Donated disks: <strong id=\"donated-nodes\">", s.inkind_nodes,
        "</strong>", s.inkind_nodes == 1 ? " node" : " nodes", ", <strong id=\"donated-capacity\">",
        DiskBytes(s.inkind_raw_capacity_bytes), "</strong>, worth <strong id=\"donated-value\">",
        money(s.inkind_value_base_minor), "</strong>/month.</p>\n",
        "<p>Storage nodes run by members of the community, approved by an operator. Their disk "
        "space counts only while audits show them in good standing; it is not part of the "
        "donations above.</p>\n</section>\n");
  }
  absl::StrAppend(&html, "<section id=\"campaigns\"><h2>Campaigns</h2>\n");
  if (d.live_campaigns.empty()) {
    absl::StrAppend(&html, "<p>No campaign is running right now.</p>\n");
  }
  for (const Campaign& c : d.live_campaigns) {
    const int pct = Percent(c.raised_base_minor, c.goal_base_minor);
    absl::StrAppend(&html, "<article class=\"campaign\" id=\"campaign-", HtmlEscape(c.campaign_id),
                    "\"><h3>", HtmlEscape(c.title), "</h3>\n");
    if (!c.description.empty()) absl::StrAppend(&html, "<p>", HtmlEscape(c.description), "</p>\n");
    absl::StrAppend(&html, "<p class=\"progress\">Raised ", money(c.raised_base_minor), " of ",
                    money(c.goal_base_minor), " (", pct, "%) from ", c.donations,
                    c.donations == 1 ? " donation" : " donations", ".</p>\n",
                    Bar("bar-" + HtmlEscape(c.campaign_id), pct), "\n</article>\n");
  }
  absl::StrAppend(&html, "</section>\n", RenderAccountability(d.accountability));
  absl::StrAppend(&html, "<footer><p>Amounts are net of refunds and chargebacks, in ",
                  HtmlEscape(d.base_currency),
                  ". No personal data is shown here.</p></footer>\n</body></html>\n");
  return html;
}

}  // namespace freehold::donations
