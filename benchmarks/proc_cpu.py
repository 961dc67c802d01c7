"""CPU seconds from Linux ``/proc``: a process and its descendants, this process, the machine.

A benchmark that runs several servers on a few shared cores must say where the CPU went, not
only how fast the requests came back. :class:`CpuSnapshot` reads, at one instant, the user +
system CPU time of each named process tree (``/proc/<pid>/stat``, the live processes of the
tree: a child that already exited is not counted), of the calling process (every thread), and
of the whole machine (``/proc/stat``: busy = everything but idle and iowait, every process of
every user, and interrupts). :func:`cpu_delta` turns two snapshots into seconds per name
over the window.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def tree_pids(pid: int) -> list[int]:
    """``pid`` and every live descendant (via ``/proc/<pid>/task/*/children``)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        with contextlib.suppress(OSError, ValueError):
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
    return found


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads); 0 if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S  # utime, stime


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of ``pid`` and its live descendants."""
    return sum(process_cpu_s(p) for p in tree_pids(pid))


def machine_cpu_s() -> tuple[float, float]:
    """CPU seconds every core of the machine spent busy since boot, and of those the ones in
    interrupts (``/proc/stat``: irq + softirq, loopback networking among them, which no
    process's own time includes)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    # user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
    busy = sum(values[:8]) - values[3] - values[4]
    return busy / TICKS_PER_S, (values[5] + values[6]) / TICKS_PER_S


def self_cpu_s() -> float:
    """CPU seconds of the calling process (every thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuSnapshot:
    """CPU seconds of named process trees, of this process and of the machine, at ``at``."""

    at: float = field(default_factory=time.perf_counter)
    trees: dict[str, float] = field(default_factory=dict)
    client: float = 0.0
    machine: float = 0.0
    interrupts: float = 0.0

    @classmethod
    def take(cls, pids: Mapping[str, int]) -> CpuSnapshot:
        """Read every tree in ``pids`` (name -> root pid), this process and the machine."""
        trees = {name: tree_cpu_s(pid) for name, pid in pids.items()}
        machine, interrupts = machine_cpu_s()
        return cls(time.perf_counter(), trees, self_cpu_s(), machine, interrupts)


def cpu_delta(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
    """Seconds per tree, ``client`` (this process), ``machine`` (every process and the kernel),
    ``interrupts`` (kernel irq + softirq), ``other`` (the machine less everything named and the
    interrupts: other processes on the shared cores) and ``wall``."""
    out = {name: round(after.trees[name] - before.trees[name], 2) for name in before.trees}
    out["client"] = round(after.client - before.client, 2)
    out["machine"] = round(after.machine - before.machine, 2)
    out["interrupts"] = round(after.interrupts - before.interrupts, 2)
    ours = sum(out[name] for name in before.trees) + out["client"] + out["interrupts"]
    out["other"] = round(max(0.0, out["machine"] - ours), 2)
    out["wall"] = round(after.at - before.at, 2)
    return out
