# Version check of the dcams CMake package. The version is read from the
# installed dcams.h (DCAMS_VERSION, generated from Cargo.toml), so it is
# written in one place only. While the major version is 0, a minor release
# may change the ABI: find_package(dcams 0.2) accepts 0.2.x only; from 1.0
# on, any later release of the same major version.

get_filename_component(_dcams_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
file(STRINGS "${_dcams_prefix}/include/dcams.h" _dcams_line REGEX "^#define DCAMS_VERSION \"")
string(REGEX REPLACE "^#define DCAMS_VERSION \"([^\"]*)\".*" "\\1" PACKAGE_VERSION "${_dcams_line}")
unset(_dcams_line)
unset(_dcams_prefix)

set(PACKAGE_VERSION_COMPATIBLE FALSE)
set(PACKAGE_VERSION_EXACT FALSE)
if(NOT PACKAGE_VERSION)
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
elseif(NOT PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
elseif(NOT PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION)
  string(REGEX MATCH "^[0-9]+" _major "${PACKAGE_VERSION}")
  string(REGEX MATCH "^[0-9]+\\.[0-9]+" _minor "${PACKAGE_VERSION}")
  if(_major STREQUAL "0")
    if("${PACKAGE_FIND_VERSION_MAJOR}.${PACKAGE_FIND_VERSION_MINOR}" STREQUAL _minor)
      set(PACKAGE_VERSION_COMPATIBLE TRUE)
    endif()
  elseif(PACKAGE_FIND_VERSION_MAJOR STREQUAL _major)
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
  endif()
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
  unset(_major)
  unset(_minor)
endif()
