# Run by `cmake --install` and cpack (see cli/CMakeLists.txt): writes evlog's completion
# scripts with the evlog just built and puts them where Debian's shells look for the
# completions that packages ship. file(INSTALL) honours DESTDIR and records the files in
# install_manifest.txt.
# zsh searches vendor-completions under /usr only (packages), site-functions under /usr/local.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(evlog_zsh_directory zsh/vendor-completions)
else()
  set(evlog_zsh_directory zsh/site-functions)
endif()
set(evlog_completion_targets
  "bash:bash-completion/completions:evlog"
  "zsh:${evlog_zsh_directory}:_evlog"
  "fish:fish/vendor_completions.d:evlog.fish")
# A directory of this run's own: ctest may run two installs of one build tree at once.
string(RANDOM LENGTH 12 evlog_completions_run)
set(evlog_completions_dir "${EVLOG_COMPLETIONS_BUILD_DIR}/${evlog_completions_run}")
file(MAKE_DIRECTORY "${evlog_completions_dir}")
foreach(target IN LISTS evlog_completion_targets)
  string(REPLACE ":" ";" parts "${target}")
  list(GET parts 0 shell)
  list(GET parts 1 directory)
  list(GET parts 2 file_name)
  set(script "${evlog_completions_dir}/${file_name}")
  execute_process(COMMAND "${EVLOG_BINARY}" completion ${shell} OUTPUT_FILE "${script}" RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "`${EVLOG_BINARY} completion ${shell}` failed: ${status}")
  endif()
  file(INSTALL "${script}" DESTINATION "${CMAKE_INSTALL_PREFIX}/${EVLOG_DATADIR}/${directory}")
endforeach()
file(REMOVE_RECURSE "${evlog_completions_dir}")
