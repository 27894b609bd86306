#include "common/removed_flag.h"

namespace freehold {

CLI::Option* AddRemovedFlag(CLI::App& app, const std::string& name,
                            const std::string& replacement) {
  CLI::Option* opt = app.add_option_function<std::string>(
      name,
      [name, replacement](const std::string&) {
        throw CLI::ValidationError(name, "this flag was removed: " + replacement);
      },
      "removed: " + replacement);
  opt->group("");  // hidden
  return opt;
}

}  // namespace freehold
