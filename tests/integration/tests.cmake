# Integration suites: every tests/integration/suites/<suite>.sh runs once per identity as
# integration.<suite>.<identity>, through the bash harness tests/integration/run. A suite that
# cannot run (no user namespaces, not root, a helper missing) exits 77 and shows as skipped.
if(NOT TARGET cove)
  return()
endif()

file(GLOB cove_integration_suites CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_LIST_DIR}/suites/*.sh)
foreach(suite_file ${cove_integration_suites})
  get_filename_component(suite ${suite_file} NAME_WE)
  foreach(identity user nosub root)
    set(name integration.${suite}.${identity})
    add_test(NAME ${name}
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run ${suite} ${identity})
    set_tests_properties(${name} PROPERTIES
      ENVIRONMENT "COVE=$<TARGET_FILE:cove>;COVE_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
      SKIP_RETURN_CODE 77
      LABELS "integration;integration.${identity}"
      TIMEOUT 900)
  endforeach()
endforeach()
