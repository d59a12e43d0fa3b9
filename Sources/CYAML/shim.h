#ifndef BERTH_CYAML_SHIM_H
#define BERTH_CYAML_SHIM_H
#include <yaml.h>

/// Asks the CPU to start loading the cache line at `address` (a hint: no
/// fault, no effect on results). The YAML emitter uses it for the next
/// sibling node while it writes the current one, so that walking a large
/// tree waits less on memory.
static inline void berth_yaml_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}
#endif
