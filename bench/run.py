"""`make bench`: the whole client hot path against GET /api/v1/ping, in one interleaved run and one table.

1. Resets two PostgreSQL databases of its own, BENCH_DATABASE_URL and the same name with `_small`
   (SQLite files when PostgreSQL does not answer), and flushes the Redis database BENCH_REDIS_URL.
2. Migrates the big one, copies it for the small one, and seeds both (bench/seed.py): the big one
   with BENCH_LICENSES licenses, of which BENCH_MEMBERS are members' seats (each member with a
   developer token and one activated machine) and BENCH_INSTALLATIONS have one activated machine;
   the small one with BENCH_SMALL_LICENSES licenses.
3. Starts three gunicorn servers with production settings (DEBUG off, throwaway secrets, the rate
   limits lifted for wrk's single client, CACHE_URL=BENCH_REDIS_URL): "main" on the big database
   with the client cache's default lifetime (or CLIENT_CACHE_SECONDS from the environment), and
   "nocache" (big database) and "nocache-small" (small database) with CLIENT_CACHE_SECONDS=0, so
   that every request of theirs reads the database.
4. Sends each scenario's request once and stops unless it answers as it should (validate: valid;
   token activation of a known machine: 200; client info: 200, activated), so a broken endpoint
   fails loudly instead of being benchmarked as a stream of 4xx.
5. Warms every scenario up for 2 s, then runs BENCH_ROUNDS rounds. A round gives every scenario
   BENCH_SECONDS of wrk, one after the other, so a change in the machine's load hits every row alike.
   Before each round of a warm-cache scenario it sends every line of that scenario's pool once,
   checking each answer (priming: not measured, at most BENCH_PRIME_SECONDS), because a round of
   all scenarios lasts longer than the cache's default lifetime of 60 s.
6. Counts SQL statements per request on a warm cache, in process (bench/statements.py).
7. Prints one table, every row's throughput as a share of ping's from the same run, with the load
   average at the start and after the rounds and the total time; on Linux, a second one with each
   row's CPU per request by process (bench/cpu.py), which says where the time goes. Then stops the
   servers, drops the databases and flushes Redis, even on failure.

The scenarios (the table's rows):
  ping               GET /api/v1/ping: the same stack with no database and no cache; the reference
  validate, repeat   POST /api/v1/licenses/validate, key + fingerprint drawn at random from the pool
                     of installations, on a warm cache                       target >= 70% of ping
  validate, new key  the same with keys no request has used yet (misses)    target >= 36% of ping
  miss path          validate with the cache off, at BENCH_SMALL_LICENSES and at BENCH_LICENSES
                     (new keys)                                              target p99 <= 1.2 x
  token activation   POST /api/v1/client/activate, a member's token and already activated machine,
                     on a warm cache                                         target >= 40% of ping
  client info        GET /api/v1/client/info?product=..., the same tokens   target >= 50% of ping
  The three warm-cache rows also count statements per request               target <= 2

Beside it: bench/servers.py (databases, Redis, gunicorn), bench/cpu.py (CPU by process),
bench/traffic.py (the request lines, and the same requests from Python for the checks and the
priming), bench/load.lua (wrk's script), bench/seed.py and bench/statements.py.

Settings from the environment (all optional):
  BENCH_DATABASE_URL    postgres://postgres@127.0.0.1:5432/keyward_bench (and keyward_bench_small)
  BENCH_REDIS_URL       redis://127.0.0.1:6379/12; this database is FLUSHED at the start and the end
  BENCH_LICENSES        1000000   licenses in the big database
  BENCH_SMALL_LICENSES  1000      licenses in the small database
  BENCH_INSTALLATIONS   10000     the repeat pool: licenses with one activated machine each
  BENCH_MEMBERS         1000      members, each with a developer token, a seat and one machine
  BENCH_ROUNDS          3
  BENCH_SECONDS         10        per scenario and round
  BENCH_PRIME_SECONDS   30        at most, per priming
  BENCH_CONNECTIONS     16        wrk -c, and the priming's parallel connections
  BENCH_THREADS         2         wrk -t
  BENCH_WORKERS         2 x cores + 1 gunicorn workers per server
  BENCH_WORKER_THREADS  1         sync workers; more: gthread workers with that many threads
  BENCH_KEEP_DB         1: keep the databases afterwards
  BENCH_ACCESS_LOG      1: print gunicorn's access log
Exits with 1 when a check fails or any request fails (not a 200 with the expected answer, or a
socket error). Targets that are not met do not fail it: they are measurements on a shared machine,
not tests.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cpu
from servers import (
    ROOT,
    Databases,
    Server,
    django_command,
    prepare_databases,
    production_environment,
    redis_flush,
    say,
    start_gunicorn,
    stop,
    wait_until_up,
)
from traffic import PRODUCT, Lines, check, load_pools, prime

LUA_SCRIPT = Path(__file__).resolve().parent / "load.lua"
MAX_STATEMENTS = 2
MAX_P99_RATIO = 1.2


def setting(name: str, default: int) -> int:
    return int(os.environ.get(f"BENCH_{name}", default))


DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/keyward_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
LICENSES = setting("LICENSES", 1_000_000)
SMALL_LICENSES = setting("SMALL_LICENSES", 1_000)
INSTALLATIONS = setting("INSTALLATIONS", 10_000)
MEMBERS = setting("MEMBERS", 1_000)
ROUNDS = setting("ROUNDS", 3)
SECONDS = setting("SECONDS", 10)
PRIME_SECONDS = setting("PRIME_SECONDS", 30)
CONNECTIONS = setting("CONNECTIONS", 16)
THREADS = setting("THREADS", 2)
WORKERS = setting("WORKERS", 2 * (os.cpu_count() or 1) + 1)
WORKER_THREADS = setting("WORKER_THREADS", 1)


# --- scenarios -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    server: str  # "main", "nocache" or "nocache-small"
    target: str  # load.lua's BENCH_TARGET
    pool: str | None = None  # "installations", "tokens", "fresh" or "small": the lines it sends
    warm: bool = False  # primed before each round: it measures a warm cache
    min_share: float | None = None  # of ping's throughput
    p99_reference: str | None = None  # the scenario whose p99 this one's may exceed by MAX_P99_RATIO
    statements: bool = False  # counted on a warm cache, at most MAX_STATEMENTS


SCENARIOS = (
    Scenario("ping", "ping (GET /api/v1/ping)", "main", "ping"),
    Scenario(
        "validate-repeat", f"validate, repeat keys ({INSTALLATIONS:,} installations)", "main", "validate",
        pool="installations", warm=True, min_share=0.70, statements=True,
    ),
    Scenario(
        "validate-new", f"validate, every key new ({LICENSES:,} licenses)", "main", "validate",
        pool="fresh", min_share=0.36,
    ),
    Scenario(
        "miss-small", f"validate miss path, cache off, {SMALL_LICENSES:,} licenses", "nocache-small",
        "validate", pool="small",
    ),
    Scenario(
        "miss-big", f"validate miss path, cache off, {LICENSES:,} licenses", "nocache", "validate",
        pool="fresh", p99_reference="miss-small",
    ),
    Scenario(
        "activate", f"repeat token activation ({MEMBERS:,} members)", "main", "activate",
        pool="tokens", warm=True, min_share=0.40, statements=True,
    ),
    Scenario(
        "info", f"client info ({MEMBERS:,} members)", "main", "info",
        pool="tokens", warm=True, min_share=0.50, statements=True,
    ),
)  # fmt: skip


# --- load ----------------------------------------------------------------------------------------------


@dataclass
class Result:
    scenario: Scenario
    round: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    wrong: int  # answers that are not a 200 with the expected body
    socket_errors: int  # connect, read, write errors and timeouts
    cpu: cpu.Usage | None  # None where /proc cannot be read

    @property
    def failed(self) -> int:
        return self.wrong + self.socket_errors

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def run_wrk(server: Server, scenario: Scenario, pool: Lines | None, seconds: int) -> dict:
    command = [
        shutil.which("wrk") or "/usr/bin/wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s",
        "--timeout", "30s",  # wrk's 2 s would drop a slow answer from the latencies as an error
        "-s", str(LUA_SCRIPT), server.base_url,
    ]  # fmt: skip
    env = {
        **os.environ,
        "BENCH_TARGET": scenario.target,
        "BENCH_THREADS": str(THREADS),
        "BENCH_PRODUCT": PRODUCT,
    }
    if pool is not None:
        env.update(BENCH_DATA_FILE=str(pool.file_for(seconds)), BENCH_ORDER=pool.order)
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    line = next((row for row in done.stdout.splitlines() if row.startswith("BENCH_RESULT ")), None)
    if done.returncode or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    raw = json.loads(line.removeprefix("BENCH_RESULT "))
    if raw["wrong_answers"]:
        say(f"{scenario.key}: {raw['wrong_answers']} wrong answers; each wrk thread's first:\n{done.stderr}")
    if pool is not None:
        pool.consumed(raw["requests"] + CONNECTIONS)  # and those still in flight when wrk stopped
    return raw


def measure(servers, pools, scenario: Scenario, round_number: int, seconds: int) -> Result:
    usage, before = (cpu.Usage(), cpu.sample()) if cpu.available() else (None, None)
    raw = run_wrk(servers[scenario.server], scenario, pools.get(scenario.pool), seconds)
    if usage is not None:
        usage.add(before, cpu.sample())
    return Result(
        scenario=scenario,
        round=round_number,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        wrong=raw["wrong_answers"],
        socket_errors=raw["errors_socket"],
        cpu=usage,
    )


def describe(r: Result) -> str:
    return (
        f"{r.rps:.0f} req/s, p99 {r.p99_ms:.1f} ms, {r.wrong} wrong answers, {r.socket_errors} socket errors"
    )


def warm_cache(server: Server, scenario: Scenario, pool: Lines) -> float:
    """Prime the pool; returns the share of it that was sent before BENCH_PRIME_SECONDS ran out.
    Twice: a first pass of misses can take longer than the snapshots live (CLIENT_CACHE_SECONDS), and
    the second, mostly hits, renews what expired meanwhile, as a pool validating again and again does."""
    prime(server, scenario.target, pool, PRIME_SECONDS, CONNECTIONS)
    done, seconds = prime(server, scenario.target, pool, PRIME_SECONDS, CONNECTIONS)
    size = len(pool.lines)
    note = "" if done == size else f" (only {done:,} of {size:,}: BENCH_PRIME_SECONDS reached)"
    say(f"  primed {scenario.key}: {done:,} requests in {seconds:.1f} s{note}")
    return done / size


@dataclass
class Run:
    results: list[Result]
    warm_up_failed: int  # requests of the warm-up that failed
    primed: dict[str, list[float]]  # per warm-cache scenario, the share of its pool primed per round


def run_rounds(servers: dict[str, Server], pools: dict[str, Lines]) -> Run:
    say("warming up (2 s each)")
    run = Run([], 0, {s.key: [] for s in SCENARIOS if s.warm})
    for scenario in SCENARIOS:
        result = measure(servers, pools, scenario, 0, 2)
        run.warm_up_failed += result.failed
        if result.failed:
            say(f"warm-up {scenario.key}: {describe(result)}")
    say(f"rounds: {ROUNDS} of {SECONDS} s per scenario, interleaved, wrk -t{THREADS} -c{CONNECTIONS}")
    for round_number in range(1, ROUNDS + 1):
        for scenario in SCENARIOS:
            if scenario.warm:
                run.primed[scenario.key].append(
                    warm_cache(servers[scenario.server], scenario, pools[scenario.pool])
                )
            run.results.append(measure(servers, pools, scenario, round_number, SECONDS))
            say(f"round {round_number} {scenario.key}: {describe(run.results[-1])}")
    return run


# --- statements ------------------------------------------------------------------------------------------


def count_statements(env: dict, big_dir: Path) -> dict[str, int]:
    command = [
        sys.executable, "bench/statements.py", "--product", PRODUCT,
        "--installations", str(big_dir / "installations.txt"), "--tokens", str(big_dir / "tokens.txt"),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    line = next((row for row in done.stdout.splitlines() if row.startswith("BENCH_STATEMENTS ")), None)
    if done.returncode or line is None:
        raise RuntimeError(f"bench/statements.py failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return json.loads(line.removeprefix("BENCH_STATEMENTS "))


# --- report --------------------------------------------------------------------------------------------


@dataclass
class Row:
    scenario: Scenario
    rps: float
    p50_ms: float
    p99_ms: float
    failed: int  # wrong answers (not a 200 with the expected body) and socket errors
    cpu_us: dict[str, float] | None  # CPU µs per request by part (bench/cpu.py)
    round_shares: list[float]  # its req/s over ping's in each round: how much the machine wandered


def summarize(results: list[Result]) -> dict[str, Row]:
    """Per scenario: total requests / total seconds; p50 and p99 are the medians over the rounds;
    CPU per request: all the rounds' CPU / all their requests."""
    ping_rps = {r.round: r.rps for r in results if r.scenario.key == "ping"}
    rows = {}
    for scenario in SCENARIOS:
        mine = [r for r in results if r.scenario is scenario]
        requests = sum(r.requests for r in mine)
        rows[scenario.key] = Row(
            scenario,
            rps=requests / sum(r.seconds for r in mine),
            p50_ms=statistics.median(r.p50_ms for r in mine),
            p99_ms=statistics.median(r.p99_ms for r in mine),
            failed=sum(r.failed for r in mine),
            cpu_us=_cpu_per_request([r.cpu for r in mine], requests),
            round_shares=[r.rps / ping_rps[r.round] for r in mine],
        )
    return rows


def _cpu_per_request(usages: list[cpu.Usage | None], requests: int) -> dict[str, float] | None:
    if not requests or any(usage is None for usage in usages):
        return None
    total = cpu.Usage()
    for usage in usages:
        for part, seconds in usage.seconds.items():
            total.seconds[part] += seconds
    return total.per_request_us(requests)


def verdict(row: Row, rows: dict[str, Row], statements: dict[str, int]) -> tuple[str, str]:
    """The row's target and whether it is met ("yes"/"no"; empty for a reference)."""
    scenario = row.scenario
    if scenario.key == "ping":
        return "reference", ""
    targets, met = [], []
    if scenario.min_share is not None:
        targets.append(f">= {scenario.min_share:.0%} of ping")
        met.append(row.rps / rows["ping"].rps >= scenario.min_share)
    if scenario.p99_reference is not None:
        ratio = row.p99_ms / rows[scenario.p99_reference].p99_ms
        targets.append(f"p99 <= {MAX_P99_RATIO}x the {SMALL_LICENSES:,} row's (now {ratio:.2f}x)")
        met.append(ratio <= MAX_P99_RATIO)
    if scenario.statements:
        targets.append(f"<= {MAX_STATEMENTS} statements")
        met.append(statements[scenario.key] <= MAX_STATEMENTS)
    if not targets:
        return "p99 reference", ""
    return ", ".join(targets), "yes" if all(met) else "no"


def table_line(cells) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


COLUMNS = [
    "scenario", "req/s", "share of ping", "rounds' shares", "p50 ms", "p99 ms", "statements warm", "target",
    "meets",
]  # fmt: skip


def print_table(rows: dict[str, Row], statements: dict[str, int]) -> None:
    print(table_line(COLUMNS))
    print(table_line(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---", "---"]))
    for key, row in rows.items():
        target, meets = verdict(row, rows, statements)
        low, high = min(row.round_shares), max(row.round_shares)
        print(
            table_line([
                row.scenario.label, f"{row.rps:.0f}", f"{row.rps / rows['ping'].rps:.0%}",
                f"{low:.0%} to {high:.0%}", f"{row.p50_ms:.1f}", f"{row.p99_ms:.1f}",
                statements.get(key, ""), target, meets,
            ])
        )  # fmt: skip


def print_cpu_table(rows: dict[str, Row]) -> None:
    """Where each row's CPU goes, in µs per request (bench/cpu.py), and its total against ping's;
    nothing where /proc could not be read."""
    if any(row.cpu_us is None for row in rows.values()):
        return
    ping_total = sum(rows["ping"].cpu_us.values())
    print()
    print(table_line(["CPU µs per request", *cpu.PARTS, "total", "x ping"]))
    print(table_line(["---", *(["---:"] * (len(cpu.PARTS) + 2))]))
    for row in rows.values():
        total = sum(row.cpu_us.values())
        cells = [f"{row.cpu_us[part]:.0f}" for part in cpu.PARTS]
        print(table_line([row.scenario.label, *cells, f"{total:.0f}", f"{total / ping_total:.2f}"]))
    print()
    print(
        "CPU: all the rounds' CPU time / all their requests, by process, from /proc (bench/cpu.py); "
        "x ping: the row's total over ping's. On a machine whose CPUs are all busy, a row's share "
        "of ping is about 1 / (x ping)."
    )


def print_report(run: Run, rows, statements, load_start, load_after, timings) -> None:
    def load(values) -> str:
        return " ".join(f"{v:.2f}" for v in values)

    print()
    print(f"load average (1, 5, 15 min): {load(load_start)} at the start, {load(load_after)} after the load")
    print()
    print_table(rows, statements)
    print()
    print(
        f"rounds: {ROUNDS} of {SECONDS} s per scenario, interleaved; wrk -t{THREADS} -c{CONNECTIONS}; "
        f"{WORKERS} gunicorn workers per server; req/s: all requests / all seconds; rounds' shares: the "
        "lowest and highest of the row's req/s over ping's in the same round; p50, p99: median of the "
        "rounds; statements: the second of two identical requests, in process."
    )
    print_cpu_table(rows)
    partly = {key: statistics.mean(shares) for key, shares in run.primed.items() if min(shares) < 1}
    if partly:
        shares = ", ".join(f"{key} {share:.0%}" for key, share in partly.items())
        print(
            f"NOT FULLY PRIMED (BENCH_PRIME_SECONDS={PRIME_SECONDS} ran out; the share of the pool sent, "
            f"on average): {shares}. Those rows measure a partly cold cache."
        )
    failed = sum(row.failed for row in rows.values()) + run.warm_up_failed
    if failed:
        print(
            f"FAILED REQUESTS: {failed} (not a 200 with the expected answer, or a socket error); "
            "the figures above are not valid."
        )
    print("time: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()))


# --- main ------------------------------------------------------------------------------------------------


def seed(databases: Databases, env: dict, small_env: dict, workdir: Path) -> tuple[Path, Path]:
    say("migrating")
    django_command(env, "manage.py", "migrate", "--noinput", "-v", "0")
    databases.create_small_from_big()
    big_dir, small_dir = workdir / "big", workdir / "small"
    big_dir.mkdir()
    small_dir.mkdir()
    say(f"seeding {LICENSES:,} licenses ({INSTALLATIONS:,} installations, {MEMBERS:,} members)")
    django_command(
        env, "bench/seed.py", "--licenses", str(LICENSES), "--installations", str(INSTALLATIONS),
        "--members", str(MEMBERS), "--out-dir", str(big_dir),
    )  # fmt: skip
    say(f"seeding {SMALL_LICENSES:,} licenses in the small database")
    django_command(small_env, "bench/seed.py", "--licenses", str(SMALL_LICENSES), "--out-dir", str(small_dir))
    return big_dir, small_dir


def environments(databases: Databases, cache_url: str | None) -> dict[str, dict]:
    """Per server. The statements are counted with "main"'s, so they share its cache entries."""
    main = production_environment(databases.big, cache_url)
    return {
        "main": main,
        "nocache": {**main, "CLIENT_CACHE_SECONDS": "0"},
        "nocache-small": {
            **main,
            "DATABASE_URL": databases.small,
            "CACHE_KEY_PREFIX": "keyward-bench-small",  # its ids would collide with the big database's
            "CLIENT_CACHE_SECONDS": "0",
        },
    }


def start_servers(envs: dict[str, dict], workdir: Path, servers: dict[str, Server]) -> None:
    """Fills `servers` as they start, so the caller stops every started one whatever happens."""
    for name, env in envs.items():
        servers[name] = start_gunicorn(name, env, WORKERS, WORKER_THREADS, workdir)
    for server in servers.values():
        wait_until_up(server)


def check_all(servers: dict[str, Server], pools: dict[str, Lines]) -> None:
    for scenario in SCENARIOS:
        if scenario.pool is not None:
            check(servers[scenario.server], scenario.target, pools[scenario.pool].first())
    say("every endpoint answers as it should")


def main() -> int:
    if not (shutil.which("wrk") or Path("/usr/bin/wrk").exists()):
        say("wrk is not installed: `apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`.")
        return 2
    started, load_start = time.monotonic(), os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="keyward-bench-"))
    servers: dict[str, Server] = {}
    databases, cache_url = None, None
    try:
        databases = prepare_databases(DATABASE_URL, workdir)
        cache_url = REDIS_URL if redis_flush(REDIS_URL) else None
        envs = environments(databases, cache_url)
        big_dir, small_dir = seed(databases, envs["main"], envs["nocache-small"], workdir)
        pools = load_pools(big_dir, small_dir, workdir)
        seeded = time.monotonic()

        start_servers(envs, workdir, servers)
        check_all(servers, pools)
        run = run_rounds(servers, pools)
        load_after, measured = os.getloadavg(), time.monotonic()
        statements = count_statements(envs["main"], big_dir)
        rows = summarize(run.results)
        timings = {"setup and seeding": seeded - started, "load": measured - seeded}
        timings["total"] = time.monotonic() - started
        print_report(run, rows, statements, load_start, load_after, timings)
        return 1 if run.warm_up_failed or any(row.failed for row in rows.values()) else 0
    finally:
        for server in servers.values():
            stop(server)
        if databases is not None and not os.environ.get("BENCH_KEEP_DB"):
            databases.drop()
        if cache_url:
            redis_flush(cache_url)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.CalledProcessError) as error:
        say(f"failed: {error}")
        sys.exit(1)
