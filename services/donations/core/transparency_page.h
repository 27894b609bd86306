// The public transparency page (GET / on the HTTP port): plain HTML, no JavaScript,
// no personal data. Shows this month's donations against this month's storage cost
// and each live campaign's progress.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "services/donations/core/read_side.h"

namespace freehold::donations {

std::string RenderTransparencyPage(const TransparencyData& data);

// The abuse and account-lifecycle sections (empty for figures that are nullopt).
std::string RenderAccountability(const AccountabilityFigures& figures);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(absl::string_view text);

}  // namespace freehold::donations
