# Project code compiles warning-free; third-party headers are system includes.
add_library(tierkv_options INTERFACE)
target_compile_options(tierkv_options INTERFACE -Wall -Wextra -Werror)
# Boost 1.74 Asio's awaitable.hpp uses std::exchange without <utility> (g++ 12).
target_compile_options(tierkv_options INTERFACE -include utility)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # g++ 12 misreads Asio's awaitable frame (custom operator new/delete pair) as a mismatch.
  target_compile_options(tierkv_options INTERFACE -Wno-mismatched-new-delete)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # clang-14 with libstdc++: Asio does not detect coroutine support by itself.
  target_compile_definitions(tierkv_options INTERFACE BOOST_ASIO_HAS_CO_AWAIT=1
                                                      BOOST_ASIO_HAS_STD_COROUTINE=1)
  target_compile_options(tierkv_options INTERFACE -Wno-unused-command-line-argument)
endif()
# Assertions stay on in every build type (TIGER_STYLE: cheap invariants are always checked).
target_compile_options(tierkv_options INTERFACE -UNDEBUG)
target_compile_definitions(tierkv_options INTERFACE BOOST_ASIO_NO_DEPRECATED)

# tierkv_layer(NAME DIR DEPS...): one static library per engine/sim folder, sources globbed,
# so each layer builds (and breaks) on its own.
function(tierkv_layer name dir)
  file(GLOB _srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/*.cc)
  if(_srcs)
    add_library(${name} STATIC ${_srcs})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} PUBLIC tierkv_options ${ARGN})
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE tierkv_options ${ARGN})
  endif()
endfunction()

# tierkv_test(NAME DIR DEPS...): one GoogleTest binary per tests/ folder.
function(tierkv_test name dir)
  file(GLOB _srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/*_test.cc)
  if(NOT _srcs)
    return()
  endif()
  add_executable(${name} ${_srcs})
  target_link_libraries(${name} PRIVATE ${ARGN} GTest::gtest GTest::gtest_main rapidcheck
                                        rapidcheck_gtest)
  include(GoogleTest)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${dir})
endfunction()
