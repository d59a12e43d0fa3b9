// CZlib: zlib (pkg-config zlib, apt zlib1g-dev) for gzip layers.
#include <zlib.h>

/// inflateInit2 is a macro; Swift cannot call macros.
static inline int berth_inflate_init(z_stream *stream, int window_bits) {
    return inflateInit2(stream, window_bits);
}

/// deflateInit2 is a macro; Swift cannot call macros.
static inline int berth_deflate_init(z_stream *stream, int level, int window_bits) {
    return deflateInit2(stream, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
}
