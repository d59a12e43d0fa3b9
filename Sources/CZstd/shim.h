// CZstd: libzstd (pkg-config libzstd, apt libzstd-dev) for tar+zstd layers.
#include <zstd.h>
