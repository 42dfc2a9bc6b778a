# The library's sources, in one place for the two trees that compile them: the library
# itself (libeventlog/CMakeLists.txt) and the fuzz build (tests/fuzz/CMakeLists.txt), which
# compiles them again with clang's sanitizers. A file added here reaches both.
set(EVLOG_LIBRARY_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/src/archive_codec.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/archive_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/archive_writer.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/atomic_append.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/batch.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/batch_digest.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/commit_queue.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/committed_head.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/compaction.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/consumer_groups.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/group_store_files.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/group_store_pages.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/format_blocks.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/frame.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/hash_dispatched.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/head.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/key_compaction.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/log.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/log_recovery.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/lock_wait.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/wait_notifier.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/log_writer.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/log_writer_queue.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/posix_file_system.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/read_splits.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/reader_impl.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/retention.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/salvage.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/repair.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/segment.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/segment_index.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/segment_scan.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/segment_window.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/survivor_frames.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/tail_scan.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/verify.cc
)
# The fault-injecting file system (tests and the torture suite; not the public API).
set(EVLOG_TESTING_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/testing/chain_break.cc
  ${CMAKE_CURRENT_LIST_DIR}/testing/fault_file_system.cc
  ${CMAKE_CURRENT_LIST_DIR}/testing/torn_writes.cc
)
