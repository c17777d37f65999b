"""Where a scenario's CPU goes, per request: read from /proc around each wrk run (Linux only).

A row's share of ping says how fast it is; this says why. Each process's CPU time (user + system,
/proc/<pid>/stat) is summed by what it is, and the machine's interrupt time (/proc/stat: irq and
softirq, where loopback TCP is delivered) is its own part. Divided by the run's requests:

  app         the gunicorn workers (Python, and the system calls they make)
  redis       redis-server
  postgres    every PostgreSQL backend
  wrk         the load generator (this process's children)
  interrupts  irq + softirq, machine-wide
  other       everything else that ran: idle servers, the kernel's own threads

The resolution is the kernel's clock tick (10 ms on most kernels): over a 10 s run at 1,000 req/s
that is 1 µs a request. Apart from wrk, a process that starts and ends within a run is not counted.
"""

import os
import resource
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
PARTS = ("app", "redis", "postgres", "wrk", "interrupts", "other")
_TICK_SECONDS = 1 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01


def available() -> bool:
    return (PROC / "stat").exists()


def _part(command: str) -> str:
    if command.startswith(("gunicorn", "python")):
        return "app"
    if command.startswith("redis-server"):
        return "redis"
    if command.startswith("postgres"):
        return "postgres"
    return "other"


def _process_ticks() -> dict[int, tuple[str, int]]:
    """{pid: (part, user + system ticks)} of every process now."""
    ticks = {}
    me = str(os.getpid())
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or entry.name == me:
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        command, _, rest = raw[raw.index("(") + 1 :].rpartition(")")
        fields = rest.split()
        ticks[int(entry.name)] = (_part(command), int(fields[11]) + int(fields[12]))  # utime, stime
    return ticks


def _interrupt_ticks() -> int:
    cpu = (PROC / "stat").read_text().splitlines()[0].split()
    return int(cpu[6]) + int(cpu[7])  # irq, softirq


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Sample:
    processes: dict[int, tuple[str, int]]
    interrupts: int
    children: float


def sample() -> Sample:
    return Sample(_process_ticks(), _interrupt_ticks(), _children_seconds())


@dataclass
class Usage:
    """CPU seconds by part, over one or more runs."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PARTS, 0.0))

    def add(self, before: Sample, after: Sample) -> None:
        for pid, (part, ticks) in after.processes.items():
            if pid in before.processes:
                self.seconds[part] += (ticks - before.processes[pid][1]) * _TICK_SECONDS
        self.seconds["interrupts"] += (after.interrupts - before.interrupts) * _TICK_SECONDS
        self.seconds["wrk"] += after.children - before.children

    def per_request_us(self, requests: int) -> dict[str, float]:
        return {part: seconds / requests * 1e6 for part, seconds in self.seconds.items()}
