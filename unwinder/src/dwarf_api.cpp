#include "dwarf_api.h"

#include <dlfcn.h>

namespace cgounwind {

const DwarfApi* dwarf_api(std::string* error) {
  static std::string load_error;
  static const DwarfApi* api = []() -> const DwarfApi* {
#ifdef CGOUNWIND_SANITIZE
    // ASan refuses RTLD_DEEPBIND; sanitizer builds are never loaded into GDB (libdw's clash).
    void* h = dlopen("libdwarf.so.1", RTLD_NOW | RTLD_LOCAL);
#else
    void* h = dlopen("libdwarf.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
#endif
    if (h == nullptr) {
      const char* e = dlerror();
      load_error = std::string("cannot load libdwarf.so.1: ") + (e ? e : "?");
      return nullptr;
    }
    static DwarfApi a;
#define CGOUNWIND_DWARF_LOAD(fn)                          \
  a.fn = reinterpret_cast<decltype(a.fn)>(dlsym(h, #fn)); \
  if (a.fn == nullptr) {                                  \
    load_error = "libdwarf.so.1 lacks " #fn;              \
    return nullptr;                                       \
  }
    CGOUNWIND_DWARF_FUNCS(CGOUNWIND_DWARF_LOAD)
#undef CGOUNWIND_DWARF_LOAD
    return &a;
  }();
  if (api == nullptr && error != nullptr) *error = load_error;
  return api;
}

}  // namespace cgounwind
