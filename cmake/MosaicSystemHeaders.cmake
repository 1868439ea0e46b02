# Header-only dependencies come from Debian packages. Natively they are ordinary system headers.
# Emscripten ignores -I/usr/include (its sysroot replaces it), so for the wasm tree we expose only the
# folders we need through symbolic links in the build tree, which keeps `#include <nlohmann/json.hpp>`
# and `#include <catch2/catch.hpp>` identical on both targets.
add_library(mosaic_system_headers INTERFACE)
add_library(mosaic::system_headers ALIAS mosaic_system_headers)

foreach(required_header nlohmann/json.hpp stb/stb_image.h)
  if(NOT EXISTS "/usr/include/${required_header}")
    message(FATAL_ERROR "/usr/include/${required_header} is missing: run `make dependencies` "
                        "(installs nlohmann-json3-dev, libstb-dev, catch2 from Debian)")
  endif()
endforeach()

if(EMSCRIPTEN)
  set(linked_include_dir "${CMAKE_BINARY_DIR}/system-include")
  file(MAKE_DIRECTORY "${linked_include_dir}")
  foreach(folder nlohmann catch2)
    if(NOT EXISTS "${linked_include_dir}/${folder}")
      file(CREATE_LINK "/usr/include/${folder}" "${linked_include_dir}/${folder}" SYMBOLIC)
    endif()
  endforeach()
  target_include_directories(mosaic_system_headers SYSTEM INTERFACE "${linked_include_dir}" /usr/include/stb)
  # Emscripten builds without exception support: nlohmann must never throw there. The core checks
  # every type before it reads a value, so these aborts are unreachable by construction.
  target_compile_definitions(mosaic_system_headers INTERFACE JSON_NOEXCEPTION)
else()
  target_include_directories(mosaic_system_headers SYSTEM INTERFACE /usr/include/stb)
endif()
