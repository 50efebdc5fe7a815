#pragma once
// The kernel's record layouts (bpf/trace.h) for user space.
#include <linux/types.h>
#include "trace.h"
