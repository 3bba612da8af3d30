/* The hypervisor's own pure SHA-256 (FIPS 180-4), built into zonectl too: the audit
 * verifier hashes records exactly as the hypervisor does. */
#include "hv/lib/sha256.c"
#include "hv/lib/string.c"
