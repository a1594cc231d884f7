"""glasstorch keeps freed large arrays in glibc's heap for reuse (device._reuse_freed_memory)."""

import os
import subprocess
import sys

SCRIPT = """
import numpy as np
import glasstorch

def resident_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20

a = np.ones(64 * 2**20 // 4, dtype=np.float32)  # 64 MiB, touched
before = resident_mib()
del a
print(before - resident_mib())  # MiB handed back to the kernel by the free
"""


def _released_mib(env):
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            timeout=120, env=env, check=True)
    return float(result.stdout.strip())


def test_freed_large_arrays_stay_for_reuse():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    assert _released_mib(env) < 8  # kept: the next large array reuses it without page faults


def test_users_malloc_settings_are_left_alone():
    env = dict(os.environ, MALLOC_ARENA_MAX="4")  # any MALLOC_* setting: glibc's defaults stay
    assert _released_mib(env) > 56  # unmapped at once, as glibc does by default
