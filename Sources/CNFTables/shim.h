// CNFTables: libnftables (apt libnftables-dev), used by Networking to apply
// berth's own nftables table in one transaction.
#include <nftables/libnftables.h>
