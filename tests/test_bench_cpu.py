"""bench/cpu.py: the CPU per request that `make bench` prints is read from /proc; check that what it
adds up is the CPU that was spent, by the part that spent it."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

# bench/ is a directory of scripts, not a package: load the one file without putting bench/ on the path.
_spec = importlib.util.spec_from_file_location("bench_cpu", Path(__file__).parent.parent / "bench" / "cpu.py")
cpu = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cpu)

pytestmark = pytest.mark.skipif(not cpu.available(), reason="needs Linux's /proc")

BURN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass\n"


def test_a_server_process_s_cpu_is_counted_as_app_and_a_finished_child_s_as_wrk():
    # A "server": waits for a line, burns 0.4 s of CPU, says so, and lives on until killed.
    server_code = "import sys, time\nsys.stdin.readline()\n" + BURN.format(seconds=0.4)
    server_code += "print('done', flush=True)\ntime.sleep(60)\n"
    server = subprocess.Popen(
        [sys.executable, "-c", server_code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        usage, before = cpu.Usage(), cpu.sample()
        server.stdin.write("go\n")
        server.stdin.flush()
        subprocess.run([sys.executable, "-c", BURN.format(seconds=0.3)], check=True)  # like wrk: run, reaped
        assert server.stdout.readline() == "done\n"
        usage.add(before, cpu.sample())
    finally:
        server.kill()
        server.wait()

    assert 0.35 <= usage.seconds["app"] <= 0.7  # this test's own process is left out
    assert 0.25 <= usage.seconds["wrk"] <= 0.6
    assert usage.per_request_us(1000)["wrk"] == pytest.approx(usage.seconds["wrk"] * 1000)
