/* Transparent huge pages and pre-faulting for a shared-memory pool
 * (presence's shm_hugepages and shm_prefault, issue 12).
 *
 * Kamailio's shared memory is one MAP_SHARED mapping made before the fork.
 * Linux does not copy the page tables of a shared mapping into a forked
 * child: every process takes one minor fault per 4 KiB page the first time
 * it touches it, and the kernel allocates and zeroes each page on its first
 * touch by anyone. A NOTIFY fan-out that needs memory the worker has not
 * touched before (its thousand tm transactions) pays about one fault per
 * NOTIFY, which doubles its time on a virtual machine. Asking for huge pages
 * (MADV_HUGEPAGE) on the mapping makes that one fault per 2 MiB, where the
 * kernel allows it (shmem_enabled "advise", "within_size" or "always";
 * distributions default to "never", where the request changes nothing).
 *
 * No Kamailio header here: the caller passes any address inside the pool. */
#ifndef LP_HUGEPAGE_H
#define LP_HUGEPAGE_H

#include <stddef.h>
#include <stdint.h>

/* lp_maps_find: in the text of a /proc/<pid>/maps file (len bytes, not
 * necessarily NUL-terminated), the mapping that holds addr. 0 with *start
 * and *end (exclusive) set, or -1 when no well-formed line holds it. */
int lp_maps_find(const char *maps, size_t len, uintptr_t addr,
		uintptr_t *start, uintptr_t *end);

/* lp_hugepage_advise: MADV_HUGEPAGE on the whole mapping of this process
 * that holds addr (found in /proc/self/maps). 0 with *bytes set to its
 * size; -1 with errno set when the mapping is not found (ENOENT), cannot
 * be read, or the kernel refuses the advice (EINVAL: no THP support). */
int lp_hugepage_advise(const void *addr, size_t *bytes);

/* lp_hugepage_shmem_policy: the kernel's current policy for shared memory
 * (the bracketed word of /sys/kernel/mm/transparent_hugepage/shmem_enabled)
 * into buf (NUL-terminated). 0, or -1 (buf "") when it cannot be read. */
int lp_hugepage_shmem_policy(char *buf, size_t size);

/* Pre-faulting (presence's shm_prefault). The first touch of a page of the
 * pool by anyone allocates and zeroes it; the first touch by a process maps
 * it there (a fault per page, or per 2 MiB huge page). A fan-out into
 * memory nobody has used yet pays both, NOTIFY by NOTIFY. Populating the
 * pool once before the fork, and in each child, moves that cost to the
 * start-up, at the price of the populated memory being resident from then
 * on (as Kamailio's core shm_force_alloc, which does it before presence can
 * ask for huge pages).
 *
 * lp_pool_populate: allocates (where not yet) and maps in this process the
 * first max_bytes of the mapping that holds addr (all of it when smaller),
 * contents unchanged: MADV_POPULATE_WRITE, or on a kernel before 5.14
 * lp_mem_touch_pages. Safe while other processes use the memory. 0 with
 * *bytes set; -1 with errno set (ENOENT: no such mapping). */
int lp_pool_populate(const void *addr, size_t max_bytes, size_t *bytes);

/* lp_mem_touch_pages: reads one byte of every page of [start, start+len):
 * maps them in this process (a shared memory page is allocated on a read
 * fault too). Writes nothing. */
void lp_mem_touch_pages(const void *start, size_t len);

#endif
