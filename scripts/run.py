"""`make run`: migrate, load demo data, start a background worker and the portal; Ctrl-C stops all.

Runs under scripts/embedded_pg.py, so DATABASE_URL is set (embedded PostgreSQL unless you set one).
Without REDIS_URL the worker uses Celery's filesystem transport under .data/broker (no Redis needed).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = os.environ.get("PORTAL_HOST", "127.0.0.1")
PORT = os.environ.get("PORTAL_PORT", "8000")


def manage(*args):
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def main():
    env = os.environ.copy()
    env.setdefault("PORTAL_BASE_URL", f"http://{HOST}:{PORT}")
    os.environ.update(env)
    if not env.get("REDIS_URL") and not env.get("CELERY_BROKER_URL"):
        for sub in ("queue", "processed", "control"):
            (ROOT / ".data" / "broker" / sub).mkdir(parents=True, exist_ok=True)
    manage("migrate", "--no-input", "-v", "0")
    (ROOT / "staticfiles").mkdir(exist_ok=True)
    demo = subprocess.run([PY, "manage.py", "load_demo"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    children = [
        subprocess.Popen([PY, "-m", "celery", "-A", "partnercenter", "worker", "--beat", "--loglevel", "INFO",
                          "--concurrency", "2", "--schedule", str(ROOT / ".data" / "celerybeat-schedule")],
                         cwd=ROOT, env=env),
        subprocess.Popen([PY, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"], cwd=ROOT, env=env),
    ]
    stopping = False

    def stop(_signum=None, _frame=None):
        nonlocal stopping
        if stopping:
            return
        stopping = True
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    time.sleep(4)  # the worker and the web server print their banners first, then the sign-ins
    print(demo, flush=True)
    print(f"\nThe portal is at http://{HOST}:{PORT}/  (Ctrl-C stops the portal, the worker and the database)\n",
          flush=True)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        stop()
        deadline = time.time() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
