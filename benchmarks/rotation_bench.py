"""Key rotation at scale: `hotline keys rotate` over N stored SMS bodies, killed part-way
and resumed, with the time and peak memory (max RSS) of each run.

Loads N messages sealed with key k1 (realistic lengths, 40-300 characters), then runs
`hotline keys rotate` as a child process with HOTLINE_DATA_KEYS=k2,k1; after
`--kill-after` seconds the child is killed with SIGKILL, then the command is run again to
the end, and `hotline keys status` must show every value on k2:

    .venv/bin/python benchmarks/rotation_bench.py --messages 1000000

PostgreSQL by default (own database `hotline_bench_rotation`, dropped and migrated
first); `--sqlite PATH` uses a SQLite file instead. Results are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIN, SECRET, prepare_database

from hotline.encryption import DataKey, Keyring
from hotline.migrate import upgrade

K1 = DataKey("k1", bytes(range(32)))
K2 = DataKey("k2", bytes(range(100, 132)))
WORDS = "chủ không trả lương tôi làm việc mười hai giờ mỗi ngày hộ chiếu công ty".split()  # noqa: SIM905


def data_keys_env(*keys: DataKey) -> str:
    return ",".join(f"{k.key_id}:{base64.urlsafe_b64encode(k.secret).decode()}" for k in keys)


def load(url: str, count: int) -> float:
    """N sealed bodies on one caller's case; returns seconds taken."""
    started = time.perf_counter()
    keyring = Keyring(K1)
    rng = random.Random(12)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO callers (id, phone_hash, phone_encrypted, created_at)"
                " VALUES (1, 'bench', 'bench', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO data_keys (key_id, check_value, first_used_at)"
                " VALUES ('k1', :check, CURRENT_TIMESTAMP)"
            ),
            {"check": K1.check_value},
        )
    insert = text(
        "INSERT INTO sms_messages (direction, kind, caller_id, body, status, num_media,"
        " created_at, updated_at) VALUES ('in', 'worker', 1, :body, 'received', 0,"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    done = 0
    while done < count:
        chunk = min(10_000, count - done)
        rows = [
            {
                "body": keyring.seal_text(
                    " ".join(rng.choices(WORDS, k=rng.randint(8, 60))), "sms_messages.body"
                )
            }
            for _ in range(chunk)
        ]
        with engine.begin() as conn:
            conn.execute(insert, rows)
        done += chunk
    if url.startswith("postgresql"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE sms_messages"))
    engine.dispose()
    return time.perf_counter() - started


def run_cli(
    env: dict[str, str], args: list[str], kill_after: float | None
) -> tuple[float, int, str]:
    """Run `hotline ...`; returns (seconds, max RSS in KiB, how it ended)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [str(BIN / "hotline"), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    if kill_after is not None:
        time.sleep(kill_after)
        child.send_signal(signal.SIGKILL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    output = child.stdout.read().decode() if child.stdout else ""
    ended = "killed" if os.WIFSIGNALED(status) else f"exit {os.waitstatus_to_exitcode(status)}"
    if ended not in ("killed", "exit 0"):
        raise SystemExit(f"hotline {' '.join(args)} failed:\n{output}")
    return seconds, usage.ru_maxrss, ended if ended == "killed" else output.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--database", default="hotline_bench_rotation")
    parser.add_argument("--sqlite", help="a SQLite file to use instead of PostgreSQL")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--kill-after", type=float, default=10.0, help="seconds; 0: no kill")
    args = parser.parse_args()

    if args.sqlite:
        Path(args.sqlite).unlink(missing_ok=True)
        url = f"sqlite:///{Path(args.sqlite).resolve()}"
        upgrade(url)
    else:
        url = prepare_database(args.server, args.database)
    print(f"loading {args.messages:,} messages sealed with k1 ...", flush=True)
    print(f"  loaded in {load(url, args.messages):.1f} s", flush=True)

    env = {
        **os.environ,
        "DATABASE_URL": url,
        "HOTLINE_SECRET_KEY": SECRET,
        "HOTLINE_DATA_KEYS": data_keys_env(K2, K1),
        "HOTLINE_INSTANCE_PATH": tempfile.mkdtemp(prefix="hotline-rotation-"),
    }
    rotate = ["keys", "rotate", "--batch-size", str(args.batch_size)]
    total = 0.0
    if args.kill_after:
        seconds, rss, ended = run_cli(env, rotate, args.kill_after)
        total += seconds
        _, _, status = run_cli(env, ["keys", "status"], None)
        print(f"first run: {ended} after {seconds:.1f} s, max RSS {rss / 1024:.0f} MiB")
        print("  " + status.replace("\n", "\n  "))
    seconds, rss, output = run_cli(env, rotate, None)
    total += seconds
    which = "resumed" if args.kill_after else "one"
    print(f"{which} run: {seconds:.1f} s, max RSS {rss / 1024:.0f} MiB")
    print("  " + output.replace("\n", "\n  "))
    _, _, status = run_cli(env, ["keys", "status"], None)
    print("  " + status.replace("\n", "\n  "))
    if "every value is encrypted with the current key" not in status:
        raise SystemExit("rotation did not finish")
    rate = args.messages / total
    print(f"total {total:.1f} s for {args.messages:,} messages: {rate:,.0f} messages/s")


if __name__ == "__main__":
    main()
