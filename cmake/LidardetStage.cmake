# One static library per pipeline stage (lib/<stage>), so that a stage builds and tests on its
# own and a half-written stage never breaks another's build. lidardet::lidardet bundles them.
set(LIDARDET_STAGES "" CACHE INTERNAL "")

# lidardet_add_stage(<name> [DEPS <stage or target>...])
function(lidardet_add_stage name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  file(GLOB hdrs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.hpp)
  set(target lidardet_${name})
  add_library(${target} STATIC ${srcs} ${hdrs})
  add_library(lidardet::${name} ALIAS ${target})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/lib>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/lidardet>)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  set(deps)
  foreach(d ${ARG_DEPS})
    if(TARGET lidardet_${d})
      list(APPEND deps lidardet_${d})
    else()
      list(APPEND deps ${d})
    endif()
  endforeach()
  target_link_libraries(${target} PUBLIC ${deps})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  install(TARGETS ${target} EXPORT lidardetTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  # Headers keep their path below lib/ ("io/waymo/objects.hpp"), as the sources include them.
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR}/lib ${CMAKE_CURRENT_SOURCE_DIR})
  install(FILES ${hdrs} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/lidardet/${rel})
  set(LIDARDET_STAGES ${LIDARDET_STAGES} ${name} CACHE INTERNAL "")
endfunction()
