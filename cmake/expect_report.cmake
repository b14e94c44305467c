# cmake/expect_report.cmake — runs a command that must be caught by a sanitizer and passes only
# when its output contains every expected piece of text (a plain substring search: a regular
# expression over a long report backtracks for minutes in CMake's engine).
# Usage: cmake -DCOMMAND="prog;arg;…" -DEXPECT="text one;text two" -P expect_report.cmake
execute_process(COMMAND ${COMMAND} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
set(all "${out}${err}")
message("${all}")
if(rc EQUAL 0)
  message(FATAL_ERROR "expect_report: the command exited 0; the sanitizer reported nothing")
endif()
foreach(piece IN LISTS EXPECT)
  string(FIND "${all}" "${piece}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expect_report: the output does not contain '${piece}' (exit ${rc})")
  endif()
endforeach()
message("expect_report: exit ${rc}, and the report contains: ${EXPECT}")
