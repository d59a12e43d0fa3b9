// CNFTables: libnftables' header (apt libnftables-dev) for its types and
// constants only. berth does not link libnftables: Networking loads
// libnftables.so.1 with dlopen at its first nft command (NFTablesLibrary.swift),
// so commands that never touch the firewall don't pay for loading it and the
// five libraries it pulls in (libmnl, libnftnl, libxtables, libjansson, libgmp).
#include <nftables/libnftables.h>
