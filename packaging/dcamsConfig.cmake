# CMake package of libdcams: find_package(dcams) gives the imported targets
#   dcams::dcams         the shared library (libdcams.so.0), dcams.h and dcams.hpp
#   dcams::dcams_static  the static library (libdcams.a) and its system libraries
# Installed by `make install` and `cargo cinstall` as
# <prefix>/share/cmake/dcams/dcamsConfig.cmake; relocatable: the prefix is
# found from this file's own place.

get_filename_component(_dcams_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(_dcams_libdirs "${_dcams_prefix}/lib" "${_dcams_prefix}/lib64")
if(CMAKE_LIBRARY_ARCHITECTURE)
  list(APPEND _dcams_libdirs "${_dcams_prefix}/lib/${CMAKE_LIBRARY_ARCHITECTURE}")
endif()

find_library(DCAMS_LIBRARY NAMES dcams PATHS ${_dcams_libdirs} NO_DEFAULT_PATH)
find_library(DCAMS_STATIC_LIBRARY NAMES libdcams.a PATHS ${_dcams_libdirs} NO_DEFAULT_PATH)
find_path(DCAMS_INCLUDE_DIR NAMES dcams.h PATHS "${_dcams_prefix}/include" NO_DEFAULT_PATH)

if(NOT DCAMS_LIBRARY OR NOT DCAMS_INCLUDE_DIR)
  set(dcams_FOUND FALSE)
  set(dcams_NOT_FOUND_MESSAGE "libdcams or dcams.h is missing under ${_dcams_prefix}")
elseif(NOT TARGET dcams::dcams)
  add_library(dcams::dcams SHARED IMPORTED)
  set_target_properties(dcams::dcams PROPERTIES
    IMPORTED_LOCATION "${DCAMS_LIBRARY}"
    IMPORTED_SONAME "libdcams.so.0"
    INTERFACE_INCLUDE_DIRECTORIES "${DCAMS_INCLUDE_DIR}")
  if(DCAMS_STATIC_LIBRARY)
    include(CMakeFindDependencyMacro)
    find_dependency(Threads)
    add_library(dcams::dcams_static STATIC IMPORTED)
    set_target_properties(dcams::dcams_static PROPERTIES
      IMPORTED_LOCATION "${DCAMS_STATIC_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${DCAMS_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "Threads::Threads;${CMAKE_DL_LIBS};m")
  endif()
endif()
unset(_dcams_libdirs)
unset(_dcams_prefix)
