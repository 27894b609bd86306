# The freehold-coordinator executable (wiring only; logic in coordinator_core).
add_executable(freehold-coordinator ${CMAKE_CURRENT_LIST_DIR}/main.cc)
target_link_libraries(freehold-coordinator PRIVATE coordinator_grpc coordinator_pg
  coordinator_core freehold_grpc_common freehold_common)
