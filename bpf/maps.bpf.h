/* SPDX-License-Identifier: GPL-2.0 */
/* Map helpers, as bcc's libbpf-tools/maps.bpf.h keeps them. */
#ifndef SNITCH_MAPS_BPF_H
#define SNITCH_MAPS_BPF_H

#include <bpf/bpf_helpers.h>

#define EEXIST 17

/* The value under key, created from init if there is none; NULL when the
 * map is full. Another CPU creating it first is not a failure. */
static __always_inline void *bpf_map_lookup_or_try_init(void *map, const void *key, const void *init)
{
	void *val = bpf_map_lookup_elem(map, key);
	if (val)
		return val;
	long err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -EEXIST)
		return NULL;
	return bpf_map_lookup_elem(map, key);
}

/* Adds n to the per-CPU counter at index `which` of an array. */
static __always_inline void add_counter(void *map, __u32 which, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(map, &which);
	if (c)
		*c += n;
}

#endif
