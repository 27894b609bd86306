#include "coordinator/core/model.h"

namespace freehold::coordinator {

const char* NodeStateName(NodeState state) {
  switch (state) {
    case NodeState::kUp:
      return "up";
    case NodeState::kDown:
      return "down";
    case NodeState::kDraining:
      return "draining";
    case NodeState::kRetired:
      return "retired";
  }
  return "unknown";
}

bool NodeStateFromInt(int value, NodeState* out) {
  if (value < 1 || value > 4) return false;
  *out = static_cast<NodeState>(value);
  return true;
}

}  // namespace freehold::coordinator
